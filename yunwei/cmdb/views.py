"""Pages of the inventory (Art. 2): thin views over scoped querysets, cmdb.services and cmdb.impact.

Every record is looked up through `scoping.visible()` before anything else, so another unit's item is
a 404 for every method. Views never save a model: forms validate, services decide and write.
"""

from functools import reduce
from operator import or_

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yunwei.audit.models import AuditEvent
from yunwei.core import errors, scoping, uploads
from yunwei.core.filters import prepare_filter_form
from yunwei.core.listing import Sorting
from yunwei.core.pages import act, done, form_call, form_page, page_view, paginate
from yunwei.org.choices import Domain
from yunwei.org.models import Unit

from . import excel, impact, services
from .choices import AttributeKind, Direction
from .filters import ItemFilter
from .forms import (
    AttributeFormSet,
    ImportForm,
    ItemForm,
    ItemTypeForm,
    RelationForm,
    RelationTypeForm,
    attribute_initial,
)
from .models import Item, ItemType, Relation, RelationType

PAGE_SIZE = 25
RESULTS_ID = "results"
GRAPH_DEPTH = 5
IMPACT_SHOWN = 100  # rows of each impact list on the item page; the count says how many there are
HISTORY_SHOWN = 50
HIDDEN = {"version", "updated_at"}  # bookkeeping of every update, not a change to show
SEARCH = ["code", "name", "ip", "hostname"]


def _item(request, pk) -> Item:
    queryset = Item.objects.select_related("unit", "type", "owner_team", "responsible", "vendor", "contract")
    return get_object_or_404(scoping.visible(queryset, request.user), pk=pk)


def _may_change(user, item: Item) -> bool:
    return scoping.access_of(user).can_manage_unit(item.unit_id)


def _filtered(request):
    """The list's rows: visible, filtered (the same filters as the API), searched."""
    user = request.user
    base = scoping.visible(Item.objects.select_related("unit", "type", "owner_team"), user)
    filterset = ItemFilter(request.GET, queryset=base, request=request)
    prepare_filter_form(filterset.form, user, unscoped=("type",))  # the catalogue is the group's
    filterset.form.fields["contract_expiring_within"].widget.attrs["class"] = "form-control form-control-sm"
    rows = filterset.qs if filterset.is_valid() else base.none()
    q = request.GET.get("q", "").strip()
    if q:
        rows = rows.filter(reduce(or_, (Q(**{f"{path}__icontains": q}) for path in SEARCH)))
    return filterset, rows, q


# The columns an index leads (the inventory reads by unit and code when no column is asked).
SORTING = Sorting(
    {"domain": ("domain", "id"), "status": ("status", "id"), "ip": ("ip", "id")},
    fallback=("unit__code", "code"),
)


@page_view
def item_list(request):
    filterset, rows, q = _filtered(request)
    rows, sort = SORTING.order(rows, request)
    page_obj, query = paginate(request, rows, PAGE_SIZE)
    context = {
        "page_obj": page_obj,
        "filters": filterset.form,
        "q": q,
        "sort": sort,
        "query": query,
        "results_id": RESULTS_ID,
        "can_create": scoping.writable(Unit.objects.all(), request.user).exists(),
    }
    partial = request.htmx and request.htmx.target == RESULTS_ID
    return render(request, "cmdb/partials/item_table.html" if partial else "cmdb/item_list.html", context)


@page_view
def export(request):
    _filterset, rows, _q = _filtered(request)
    response = HttpResponse(excel.export_items(rows), content_type=excel.XLSX)
    response["Content-Disposition"] = 'attachment; filename="cmdb-items.xlsx"'
    return response


def _attribute_rows(item: Item) -> list[tuple[str, object]]:
    return [(_(spec["label"]), item.attributes.get(spec["code"])) for spec in item.type.attributes]


def _history(item: Item, user) -> list[AuditEvent]:
    """The item's own audit events and those of the relations that touch it, newest first.

    A relation's event names its ends in its snapshot (`source_id`, `target_id`: `after` when added,
    `before` when removed), so it shows on both items' history, but, as in the relation list, only
    where the user may see the relation (its unit). Each event gets `changes` (field, before, after)
    and, for a relation, `relation_text` ("Runs on OS-1").
    """
    pk = item.pk
    touching = Q()
    for side in ("after", "before"):
        for end in ("source_id", "target_id"):
            touching |= Q(**{f"{side}__{end}": pk})
    relation_events = Q(object_type="cmdb.relation") & touching
    access = scoping.access_of(user)
    if not (access.is_group_admin or access.is_group_staff):
        relation_events &= Q(unit_id__in=scoping.visible(Unit.objects.all(), user).values("pk"))
    own = Q(object_type="cmdb.item", object_id=str(pk))
    # Write order: the newest event may not be sealed (numbered) yet.
    events = list(AuditEvent.objects.filter(own | relation_events).order_by("-id")[:HISTORY_SHOWN])
    snapshots = {e.pk: (e.after or e.before or {}) for e in events if e.object_type == "cmdb.relation"}
    ends = [(s.get("source_id") == pk, s) for s in snapshots.values()]
    others = {s.get("target_id") if outgoing else s.get("source_id") for outgoing, s in ends}
    codes = dict(scoping.visible(Item.objects.filter(pk__in=others), user).values_list("pk", "code"))
    types = RelationType.objects.in_bulk({s.get("type_id") for s in snapshots.values()})
    for event in events:
        before, after = event.before or {}, event.after or {}
        event.changes = [(key, before.get(key), value) for key, value in after.items() if key not in HIDDEN]
        snapshot = snapshots.get(event.pk)
        if snapshot is None:
            continue
        outgoing = snapshot.get("source_id") == pk
        other = snapshot.get("target_id") if outgoing else snapshot.get("source_id")
        rtype = types.get(snapshot.get("type_id"))
        verb = (rtype.label if outgoing else rtype.inverse_label) if rtype else _("Relation")
        event.relation_text = f"{verb} {codes.get(other, '…')}"
        event.changes = []
    return events


def _impact_list(item: Item, reached: list[impact.Reached]) -> dict:
    """The first IMPACT_SHOWN rows, each with its path as codes (start → … → row); an item on the path
    that the user may not see shows as “…”."""
    codes = {item.pk: item.code, **{r.id: r.code for r in reached}}
    shown = reached[:IMPACT_SHOWN]
    for row in shown:
        row.extra["path"] = " → ".join(codes.get(pk, "…") if pk is not None else "…" for pk in row.path)
    return {"rows": shown, "shown": len(shown), "total": len(reached), "truncated": len(reached) > len(shown)}


@page_view
def item_detail(request, pk):
    item = _item(request, pk)
    user = request.user
    relations = scoping.visible(Relation.objects.select_related("type", "source", "target"), user)
    direction = request.GET.get("direction", Direction.DOWN)
    if direction not in Direction.values:
        direction = Direction.DOWN
    can_manage = _may_change(user, item)
    return render(
        request,
        "cmdb/item_detail.html",
        {
            "item": item,
            "attributes": _attribute_rows(item),
            "outgoing": relations.filter(source=item),
            "incoming": relations.filter(target=item),
            "downstream": _impact_list(item, impact.downstream(item, user=user)),
            "upstream": _impact_list(item, impact.upstream(item, user=user)),
            "history": _history(item, user),
            "can_manage": can_manage,
            "relation_form": RelationForm(user=user, item=item) if can_manage else None,
            "graph_url": reverse("cmdb:item-graph", args=[item.pk]),
        },
    )


def graph_data(item: Item, user, depth: int | None) -> dict:
    """Nodes and links of the item's neighbourhood, upstream and downstream, for ECharts."""
    down = impact.walk([item.pk], Direction.DOWN, depth, user)
    up = impact.walk([item.pk], Direction.UP, depth, user)
    down_ids = {r.id for r in down}
    ids = {item.pk} | down_ids | {r.id for r in up}
    items = scoping.visible(Item.objects.filter(pk__in=ids).select_related("type"), user)
    domains = list(Domain.values)
    nodes = [
        {
            "id": str(i.pk),
            "name": i.code,
            "value": i.name,
            "category": domains.index(i.domain) if i.domain in domains else 0,
            "url": reverse("cmdb:item-detail", args=[i.pk]),
            "symbolSize": 44 if i.pk == item.pk else 28,
            "side": "self" if i.pk == item.pk else ("down" if i.pk in down_ids else "up"),
        }
        for i in items
    ]
    links = [
        {
            "source": str(r.source_id),
            "target": str(r.target_id),
            "label": r.type.label,
            "dependency": r.type.is_dependency,
        }
        for r in scoping.visible(
            Relation.objects.filter(source__in=ids, target__in=ids).select_related("type"), user
        )
    ]
    return {
        "center": str(item.pk),
        "nodes": nodes,
        "links": links,
        "categories": [{"name": str(label)} for _code, label in Domain.choices],
    }


@page_view
def item_graph(request, pk):
    item = _item(request, pk)
    try:
        depth = int(request.GET.get("depth", GRAPH_DEPTH))
    except ValueError:
        depth = GRAPH_DEPTH
    return JsonResponse(graph_data(item, request.user, depth or None))


@page_view
def item_topology(request, pk):
    item = _item(request, pk)
    return render(
        request,
        "cmdb/topology.html",
        {"item": item, "graph_url": reverse("cmdb:item-graph", args=[item.pk]) + "?depth=0"},
    )


@page_view
def topology_list(request):
    applications = scoping.visible(
        Item.objects.filter(domain=Domain.APPLICATION).select_related("unit", "type"), request.user
    ).order_by("unit__code", "code")
    q = request.GET.get("q", "").strip()
    if q:
        applications = applications.filter(Q(code__icontains=q) | Q(name__icontains=q))
    return render(request, "cmdb/topology_list.html", {"applications": applications, "q": q})


# -- create, edit, delete -------------------------------------------------------------------------


def _item_url(record) -> str:
    return reverse("cmdb:item-detail", args=[record.pk])


@page_view
def item_create(request):
    user = request.user
    if not scoping.writable(Unit.objects.all(), user).exists():
        raise PermissionDenied
    type_id = request.GET.get("type", "")
    item_type = ItemType.objects.filter(pk=type_id).first() if type_id.isdigit() else None
    if item_type is None:
        types = ItemType.objects.order_by("domain", "code")
        groups = [(label, [t for t in types if t.domain == code]) for code, label in Domain.choices]
        return render(request, "cmdb/type_picker.html", {"groups": groups})
    form = ItemForm(request.POST if request.method == "POST" else None, user=user, item_type=item_type)
    return form_page(
        request,
        form,
        lambda: services.create(Item, actor=user, **form.service_fields()),
        title=_("New %(type)s") % {"type": item_type.label},
        cancel_url=reverse("cmdb:item-list"),
        after=_item_url,
        template="cmdb/item_form.html",
        item_type=item_type,
    )


@page_view
def item_edit(request, pk):
    item = _item(request, pk)
    if not _may_change(request.user, item):
        raise PermissionDenied
    form = ItemForm(
        request.POST if request.method == "POST" else None,
        user=request.user,
        item_type=item.type,
        instance=item,
    )

    def call():
        return services.update(
            item, actor=request.user, expected_version=form.expected_version, **form.service_fields()
        )

    return form_page(
        request,
        form,
        call,
        title=_("Edit “%(name)s”") % {"name": item},
        cancel_url=_item_url(item),
        after=_item_url,
        template="cmdb/item_form.html",
        item_type=item.type,
    )


@page_view
@require_POST
def item_delete(request, pk):
    item = _item(request, pk)
    return act(
        request,
        reverse("cmdb:item-list"),
        lambda: services.delete(item, actor=request.user),
        _("Deleted “%(name)s”.") % {"name": item},
        fail_url=_item_url(item),
    )


@page_view
@require_POST
def relation_create(request, pk):
    item = _item(request, pk)
    if not _may_change(request.user, item):
        raise PermissionDenied
    form = RelationForm(request.POST, user=request.user, item=item)
    detail = _item_url(item)
    if form.is_valid():
        relation = form_call(
            form, lambda: services.create(Relation, actor=request.user, **form.service_fields())
        )
        if relation is not None:
            return done(request, detail, _("Relation added."))
    for field_errors in form.errors.values():
        for error in field_errors:
            messages.error(request, error)
    return done(request, detail)


@page_view
@require_POST
def relation_delete(request, pk):
    relation = get_object_or_404(
        scoping.visible(Relation.objects.select_related("source"), request.user), pk=pk
    )
    back = request.POST.get("item")
    back_url = reverse("cmdb:item-detail", args=[int(back)]) if back and back.isdigit() else None
    return act(
        request,
        back_url or reverse("cmdb:item-detail", args=[relation.source_id]),
        lambda: services.delete(relation, actor=request.user),
        _("Relation removed."),
    )


# -- Excel exchange -------------------------------------------------------------------------------


@page_view
def import_page(request):
    if not scoping.writable(Unit.objects.all(), request.user).exists():
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None)
    result, refused = None, None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            # Size, type and (for a workbook) its zip directory, before a byte of it is read.
            label = form.fields["file"].label
            kind = uploads.check_file(
                upload, field="file", label=label, max_bytes=excel.MAX_BYTES, types=["xlsx", "csv"]
            )
            if kind == "xlsx":
                uploads.check_xlsx(upload, field="file", label=label, max_unpacked=excel.MAX_UNPACKED_BYTES)
            result = excel.run_import(
                upload.name,
                upload.read(),
                actor=request.user,
                dry_run=request.POST.get("mode") != "import",
            )
        except errors.DomainError as exc:
            refused = exc.message
        if result is not None and result.committed:
            messages.success(
                request,
                _("Imported: %(created)s created, %(updated)s updated.")
                % {"created": result.count("create"), "updated": result.count("update")},
            )
    return render(
        request,
        "cmdb/import.html",
        {
            "form": form,
            "result": result,
            "refused": refused,
            "types": ItemType.objects.order_by("domain", "code"),
        },
    )


@page_view
def import_template(request, code):
    item_type = get_object_or_404(ItemType, code=code)
    response = HttpResponse(excel.template(item_type), content_type=excel.XLSX)
    response["Content-Disposition"] = f'attachment; filename="cmdb-template-{item_type.code}.xlsx"'
    return response


# -- the catalogue: item types and relation types (group system admins) ---------------------------


def _require_catalogue_admin(user) -> None:
    # The catalogue is the group's, shared by every unit: only a group system admin changes it
    # (services.create/update refuse everyone else too; the pages do not show it to them at all).
    if not scoping.access_of(user).is_group_admin:
        raise PermissionDenied


@page_view
def catalogue(request):
    _require_catalogue_admin(request.user)
    types = ItemType.objects.order_by("domain", "code")
    groups = [(label, [t for t in types if t.domain == code]) for code, label in Domain.choices]
    kinds = dict(AttributeKind.choices)
    for item_type in types:
        item_type.attribute_rows = [
            {**spec, "label": _(spec["label"]), "kind_label": kinds.get(spec.get("kind"), spec.get("kind"))}
            for spec in item_type.attributes
        ]
    relation_types = RelationType.objects.order_by("code")
    domain_labels = dict(Domain.choices)
    for rtype in relation_types:
        rtype.rule_text = {
            end: ", ".join(
                [str(domain_labels.get(d, d)) for d in getattr(rtype, f"{end}_domains")]
                + list(getattr(rtype, f"{end}_types"))
            )
            for end in ("source", "target")
        }
    return render(request, "cmdb/catalogue.html", {"groups": groups, "relation_types": relation_types})


def _catalogue_form_page(request, form, template, call, *, title, formset=None):
    """A catalogue form: saved, it goes back to the catalogue."""
    catalogue_url = reverse("cmdb:catalogue")
    return form_page(
        request,
        form,
        call,
        title=title,
        cancel_url=catalogue_url,
        after=lambda record: catalogue_url,
        template=template,
        formset=formset,
    )


def _item_type_page(request, item_type: ItemType | None):
    _require_catalogue_admin(request.user)
    data = request.POST if request.method == "POST" else None
    form = ItemTypeForm(data, user=request.user, instance=item_type)
    formset = AttributeFormSet(data, initial=attribute_initial(item_type), prefix="attr")

    def call():
        fields = {**form.service_fields(), "attributes": formset.specs()}
        if item_type is None:
            return services.create(ItemType, actor=request.user, **fields)
        return services.update(
            item_type, actor=request.user, expected_version=form.expected_version, **fields
        )

    title = _("New item type") if item_type is None else _("Edit “%(name)s”") % {"name": item_type.label}
    return _catalogue_form_page(request, form, "cmdb/item_type_form.html", call, title=title, formset=formset)


@page_view
def item_type_create(request):
    return _item_type_page(request, None)


@page_view
def item_type_edit(request, pk):
    _require_catalogue_admin(request.user)
    return _item_type_page(request, get_object_or_404(ItemType, pk=pk))


def _relation_type_page(request, relation_type: RelationType | None):
    _require_catalogue_admin(request.user)
    form = RelationTypeForm(
        request.POST if request.method == "POST" else None, user=request.user, instance=relation_type
    )

    def call():
        if relation_type is None:
            return services.create(RelationType, actor=request.user, **form.service_fields())
        return services.update(
            relation_type, actor=request.user, expected_version=form.expected_version, **form.service_fields()
        )

    title = (
        _("New relation type")
        if relation_type is None
        else _("Edit “%(name)s”") % {"name": relation_type.label}
    )
    return _catalogue_form_page(request, form, "cmdb/relation_type_form.html", call, title=title)


@page_view
def relation_type_create(request):
    return _relation_type_page(request, None)


@page_view
def relation_type_edit(request, pk):
    _require_catalogue_admin(request.user)
    return _relation_type_page(request, get_object_or_404(RelationType, pk=pk))
