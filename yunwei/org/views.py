"""Pages of the organisation (Art. 4, 8–11): thin views over scoped querysets and org.services.

Every queryset starts from `scoping.visible()` / `scoping.writable()`, so another unit's record is a
404 here just as in the API. Views never save a model: forms validate, services decide and write, and
a service's refusal comes back as a form error (DomainError) or a 403 (PermissionDenied).
"""

from functools import reduce
from operator import or_

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from yunwei.core import scoping
from yunwei.core.filters import prepare_filter_form
from yunwei.core.pages import act, done, form_call, form_page, page_view, paginate

from . import forms, services
from .choices import Domain, Role
from .filters import PersonFilter, TeamFilter, UnitFilter, VendorFilter
from .models import MaintenanceContract, Person, RoleAssignment, Team, Unit, Vendor, VendorEngineer

PAGE_SIZE = 25
PEOPLE = Person.objects.select_related("unit", "team", "account")
RESULTS_ID = "results"  # the element a list's filter form swaps (hx-target)

FORMS = {
    Unit: forms.UnitForm,
    Team: forms.TeamForm,
    Person: forms.PersonForm,
    Vendor: forms.VendorForm,
    VendorEngineer: forms.EngineerForm,
    MaintenanceContract: forms.ContractForm,
}
CREATE_TITLES = {
    Unit: gettext_lazy("New unit"),
    Team: gettext_lazy("New team"),
    Person: gettext_lazy("New person"),
    Vendor: gettext_lazy("New vendor"),
    VendorEngineer: gettext_lazy("New maintenance engineer"),
    MaintenanceContract: gettext_lazy("New maintenance contract"),
}


# -- shared helpers -------------------------------------------------------------------------------


def _get(request, queryset, pk):
    """A record the user may see; anything else (another unit's) is 404."""
    return get_object_or_404(scoping.visible(queryset, request.user), pk=pk)


def _may_change(user, record) -> bool:
    return scoping.writable(type(record).objects.filter(pk=record.pk), user).exists()


def _require_change(user, record) -> None:
    if not _may_change(user, record):
        raise PermissionDenied


def _detail_url(record) -> str:
    if isinstance(record, VendorEngineer | MaintenanceContract):
        return reverse("org:vendor-detail", args=[record.vendor_id])
    return reverse(f"org:{record._meta.model_name}-detail", args=[record.pk])


def _mask(record):
    """Attach the masked contact details (Art. 11) that lists and detail pages show."""
    record.contact = {
        "phone": services.mask_phone(record.phone or ""),
        "email": services.mask_email(record.email or ""),
    }
    return record


def _list(request, name, queryset, filterset_class, search, search_hint, **context):
    """A list page: scoped rows, django-filter filters, a `q` search (of `search`, which `search_hint`
    names), 25 per page; htmx gets the table."""
    user = request.user
    filterset = filterset_class(request.GET, queryset=scoping.visible(queryset, user), request=request)
    prepare_filter_form(filterset.form, user)
    rows = filterset.qs
    q = request.GET.get("q", "").strip()
    if q:
        rows = rows.filter(reduce(or_, (Q(**{f"{path}__icontains": q}) for path in search)))
    page_obj, query = paginate(request, rows, PAGE_SIZE)
    if hasattr(queryset.model, "personal_fields"):
        page_obj.object_list = [_mask(row) for row in page_obj.object_list]
    context.update(
        page_obj=page_obj,
        filters=filterset.form,
        q=q,
        query=query,
        results_id=RESULTS_ID,
        can_create=scoping.writable(Unit.objects.all(), user).exists(),
        table=f"org/partials/{name}_table.html",
        filters_template=f"org/partials/{name}_filters.html",
        search_hint=search_hint,
    )
    partial = request.htmx and request.htmx.target == RESULTS_ID
    return render(request, context["table"] if partial else f"org/{name}_list.html", context)


def _data(request):
    return request.POST if request.method == "POST" else None


# -- create, edit, delete: the same for every kind of record ---------------------------------------


@page_view
def create(request, model, pk=None):
    """New record of `model`; engineers and contracts are created on their vendor (`pk`)."""
    user, fixed = request.user, {}
    if pk is not None:
        fixed["vendor"] = vendor = _get(request, Vendor.objects.all(), pk)
        _require_change(user, vendor)
        cancel_url = _detail_url(vendor)
    else:
        if model is Unit:
            services.require_group_admin(user)
        elif not scoping.writable(Unit.objects.all(), user).exists():
            raise PermissionDenied
        cancel_url = reverse(f"org:{model._meta.model_name}-list")
    form = FORMS[model](_data(request), user=user, **fixed)
    return form_page(
        request,
        form,
        lambda: services.create(model, actor=user, **form.service_fields()),
        title=CREATE_TITLES[model],
        cancel_url=cancel_url,
        after=_detail_url,
    )


@page_view
def edit(request, model, pk):
    record = _get(request, model.objects.all(), pk)
    _require_change(request.user, record)
    title = _("Edit “%(name)s”") % {"name": record}
    form = FORMS[model](_data(request), user=request.user, instance=record)

    def call():
        return services.update(
            record, actor=request.user, expected_version=form.expected_version, **form.service_fields()
        )

    return form_page(request, form, call, title=title, cancel_url=_detail_url(record), after=_detail_url)


@page_view
@require_POST
def delete(request, model, pk):
    record = _get(request, model.objects.all(), pk)
    if isinstance(record, VendorEngineer | MaintenanceContract):
        after = _detail_url(record)
    else:
        after = reverse(f"org:{model._meta.model_name}-list")
    return act(
        request,
        after,
        lambda: services.delete(record, actor=request.user),
        _("Deleted “%(name)s”.") % {"name": record},
        fail_url=_detail_url(record),
    )


@page_view
@require_POST
def reveal(request, model, pk):
    """Un-mask a person's or engineer's phone and e-mail; the service writes the audit event."""
    record = _get(request, model.objects.all(), pk)
    contact = services.reveal_personal_data(record, actor=request.user)
    return render(
        request,
        "org/partials/contact.html",
        {
            "record": record,
            "contact": contact,
            "revealed": True,
            "prefix": "person" if model is Person else "engineer",
        },
    )


# -- units ----------------------------------------------------------------------------------------


@page_view
def unit_list(request):
    units = Unit.objects.with_staffing().select_related("parent").order_by("code")
    return _list(
        request,
        "unit",
        units,
        UnitFilter,
        ["code", "name"],
        gettext_lazy("Code or name"),
        can_create_unit=scoping.access_of(request.user).is_group_admin,
    )


@page_view
def unit_detail(request, pk):
    user = request.user
    unit = _get(request, Unit.objects.with_staffing().select_related("parent"), pk)
    assignments = scoping.visible(RoleAssignment.objects.filter(unit=unit).select_related("person"), user)
    by_role = {}
    for assignment in assignments.order_by("person__name"):
        by_role.setdefault(assignment.role, []).append(assignment)
    return render(
        request,
        "org/unit_detail.html",
        {
            "unit": unit,
            "gaps": unit.staffing_gap_labels(),
            "roles": [(label, by_role[code]) for code, label in Role.choices if code in by_role],
            "teams": scoping.visible(unit.teams.annotate(n_members=Count("members")), user),
            "people_count": scoping.visible(unit.people.filter(is_active=True), user).count(),
            "vendors": scoping.visible(unit.vendors.all(), user),
            "contracts": scoping.visible(unit.contracts.select_related("vendor"), user),
            "can_manage": _may_change(user, unit),
        },
    )


# -- teams ----------------------------------------------------------------------------------------


@page_view
def team_list(request):
    teams = (
        Team.objects.select_related("unit")
        .annotate(n_members=Count("members"))
        .order_by("unit__code", "code")
    )
    return _list(
        request,
        "team",
        teams,
        TeamFilter,
        ["code", "name", "duties"],
        gettext_lazy("Code, name or duties"),
        domains=Domain.choices,
    )


@page_view
def team_detail(request, pk):
    team = _get(request, Team.objects.select_related("unit"), pk)
    members = scoping.visible(
        team.members.select_related("account").prefetch_related("role_assignments"), request.user
    )
    return render(
        request,
        "org/team_detail.html",
        {
            "team": team,
            "members": members,
            "can_manage": _may_change(request.user, team),
        },
    )


# -- people ---------------------------------------------------------------------------------------


@page_view
def person_list(request):
    people = PEOPLE.prefetch_related("role_assignments")
    return _list(
        request,
        "person",
        people,
        PersonFilter,
        ["name", "employee_no", "department", "account__username"],
        gettext_lazy("Name, employee no., department or user name"),
        roles=Role.choices,
    )


def _person_page(request, person, *, role_form=None, account_form=None):
    """The person's page, with the admin forms (bound, with their errors, after a refused POST)."""
    user = request.user
    can_manage = _may_change(user, person)
    roles = scoping.visible(person.role_assignments.select_related("unit", "granted_by"), user)
    own_roles_refusal = services.role_refusal(user, person)
    if can_manage:
        if own_roles_refusal is None:
            role_form = role_form or forms.AssignRoleForm(user=user, person=person)
        if person.account_id is None:
            account_form = account_form or forms.AccountForm()
    # A role the actor may not take back shows its revoke action disabled, with the reason (Art. 10, 18).
    writable = set(scoping.writable(roles, user).values_list("pk", flat=True))
    roles = list(roles)
    for assignment in roles:
        assignment.revocable = assignment.pk in writable
        assignment.revoke_refusal = (
            services.role_refusal(user, person, assignment.role) if assignment.revocable else None
        )
    return render(
        request,
        "org/person_detail.html",
        {
            "person": _mask(person),
            "roles": roles,
            "own_roles_refusal": own_roles_refusal if can_manage else None,
            "can_manage": can_manage,
            "disable_refusal": services.disable_refusal(user, person),
            "can_reveal": services.may_reveal(user, person.unit_id, person.account_id),
            "role_form": role_form,
            "account_form": account_form,
        },
    )


def _managed_person(request, pk):
    person = _get(request, PEOPLE, pk)
    _require_change(request.user, person)
    return person


@page_view
def person_detail(request, pk):
    return _person_page(request, _get(request, PEOPLE, pk))


@page_view
@require_POST
def person_assign_role(request, pk):
    person = _managed_person(request, pk)
    form = forms.AssignRoleForm(request.POST, user=request.user, person=person)
    if form.is_valid() and form_call(
        form,
        lambda: services.assign_role(
            person, form.cleaned_data["role"], actor=request.user, unit=form.cleaned_data["unit"]
        ),
    ):
        return done(request, _detail_url(person), _("Role assigned."))
    return _person_page(request, person, role_form=form)


@page_view
@require_POST
def role_revoke(request, pk):
    assignment = _get(request, RoleAssignment.objects.select_related("person"), pk)
    return act(
        request,
        _detail_url(assignment.person),
        lambda: services.revoke_role(assignment, actor=request.user),
        _("Role revoked."),
    )


@page_view
@require_POST
def person_account(request, pk):
    person = _managed_person(request, pk)
    form = forms.AccountForm(request.POST)
    if form.is_valid() and form_call(
        form, lambda: services.create_account(person, actor=request.user, **form.cleaned_data)
    ):
        return done(request, _detail_url(person), _("Account created."))
    return _person_page(request, person, account_form=form)


@page_view
@require_POST
def person_account_active(request, pk):
    person = _managed_person(request, pk)
    active = request.POST.get("active") == "1"
    return act(
        request,
        _detail_url(person),
        lambda: services.set_account_active(person, active, actor=request.user),
        _("Account enabled.") if active else _("Account disabled."),
    )


# -- vendors --------------------------------------------------------------------------------------


@page_view
def vendor_list(request):
    vendors = (
        Vendor.objects.select_related("unit")
        .annotate(
            n_engineers=Count("engineers", distinct=True), n_contracts=Count("contracts", distinct=True)
        )
        .order_by("unit__code", "code")
    )
    return _list(
        request,
        "vendor",
        vendors,
        VendorFilter,
        ["code", "name", "hotline"],
        gettext_lazy("Code, name or hotline"),
    )


@page_view
def vendor_detail(request, pk):
    user = request.user
    vendor = _get(request, Vendor.objects.select_related("unit"), pk)
    contracts = scoping.visible(vendor.contracts.select_related("unit", "engineer"), user)
    for contract in contracts:
        contract.domain_labels = [
            str(Domain(code).label) for code in contract.domains if code in Domain.values
        ]
    return render(
        request,
        "org/vendor_detail.html",
        {
            "vendor": vendor,
            "engineers": [_mask(e) for e in scoping.visible(vendor.engineers.all(), user)],
            "contracts": contracts,
            "changeable_contracts": set(scoping.writable(contracts, user).values_list("pk", flat=True)),
            "can_manage": _may_change(user, vendor),
            "can_reveal": services.may_reveal(user, vendor.unit_id),
        },
    )
