"""The knowledge base's one write path and its search (Art. 9; issue 26 item 6)."""

import datetime

from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from yunwei.audit import services as audit
from yunwei.core import records, scoping
from yunwei.core.errors import DomainError, PermissionDenied, TransitionNotAllowed
from yunwei.org.choices import UnitKind
from yunwei.org.models import Unit
from yunwei.problems.choices import State as ProblemState

from .choices import ALLOWED_TRANSITIONS, Source, State
from .models import Article, Term, Vote
from .terms import document_terms, query_terms

TITLE_WEIGHT = 5
SUGGESTIONS = 5
RESULTS = 50


# -- who reads and who writes -----------------------------------------------------------------------


def readable(queryset: QuerySet, user) -> QuerySet:
    """Articles `user` may read: the published ones of their units and of the group; drafts only in the
    units they manage. A group system admin reads everything."""
    access = scoping.access_of(user)
    if access.user_id is None:
        return queryset.none()
    if access.is_group_admin:
        return queryset
    published = Q(state=State.PUBLISHED)
    if access.is_group_staff:
        return queryset.filter(published | Q(unit__in=access.admin_unit_ids))
    units = set(access.admin_unit_ids | access.staff_unit_ids)
    if access.unit_id is not None:
        units.add(access.unit_id)
    return queryset.filter(
        (published & (Q(unit__in=units) | Q(unit__kind=UnitKind.GROUP))) | Q(unit__in=access.admin_unit_ids)
    )


def writable_units(user) -> QuerySet:
    """Units for which `user` writes articles: the group's unit makes an article for every unit."""
    access = scoping.access_of(user)
    if access.is_group_admin:
        return Unit.objects.all()
    return Unit.objects.filter(pk__in=access.admin_unit_ids)


def may_edit(article: Article, user) -> bool:
    return article.source == Source.ARTICLE and scoping.access_of(user).can_manage_unit(article.unit_id)


def _require_editor(article: Article, user) -> None:
    if article.source != Source.ARTICLE:
        raise PermissionDenied(_("A known error is edited in the problem database."))
    if not scoping.access_of(user).can_manage_unit(article.unit_id):
        raise PermissionDenied(_("Articles are written by the admins of their unit."))


# -- writing ----------------------------------------------------------------------------------------


def _clean(title: str, body: str) -> tuple[str, str]:
    title, body = (title or "").strip(), (body or "").strip()
    if not title:
        raise DomainError(_("Give the article a title."), field="title")
    if not body:
        raise DomainError(_("Write the article's text."), field="body")
    return title, body


def reindex(article: Article) -> None:
    """Replace the article's search terms with those of its title and text."""
    weights = document_terms(article.body)
    for term, count in document_terms(article.title).items():
        weights[term] += count * TITLE_WEIGHT
    Term.objects.filter(article=article).delete()
    Term.objects.bulk_create(Term(article=article, term=term, weight=w) for term, w in weights.items())


@transaction.atomic
def create_article(*, actor, unit: Unit, title: str, body: str, publish: bool = False, now=None) -> Article:
    if unit is None:
        raise DomainError(_("Choose the unit the article is for."), field="unit")
    if not scoping.access_of(actor).can_manage_unit(unit.pk):
        raise DomainError(_("You do not write articles for this unit."), field="unit")
    title, body = _clean(title, body)
    now = now or timezone.now()
    article = Article.objects.create(
        unit=unit,
        title=title,
        body=body,
        author=actor,
        state=State.PUBLISHED if publish else State.DRAFT,
        published_at=now if publish else None,
    )
    reindex(article)
    audit.record("create", actor=actor, obj=article, after=audit.snapshot(article))
    return article


@transaction.atomic
def update_article(
    article: Article, *, actor, expected_version: int | None, title: str, body: str
) -> Article:
    _require_editor(article, actor)
    locked = records.lock(Article.objects, article.pk, expected_version)
    before = audit.snapshot(locked)
    locked.title, locked.body = _clean(title, body)
    records.save_version(locked, "title", "body")
    reindex(locked)
    changed_before, changed_after = audit.diff(before, audit.snapshot(locked))
    if changed_after:
        audit.record("update", actor=actor, obj=locked, before=changed_before, after=changed_after)
    return locked


@transaction.atomic
def transition(article: Article, *, to: str, actor, now=None) -> Article:
    """Publish an article or take it back to draft."""
    _require_editor(article, actor)
    locked = records.lock(Article.objects, article.pk)
    if to not in ALLOWED_TRANSITIONS.get(locked.state, ()):
        raise TransitionNotAllowed(
            _("An article that is %(state)s cannot become %(to)s.")
            % {"state": State(locked.state).label, "to": State(to).label if to in State.values else to},
            field="to",
        )
    source = locked.state
    locked.state = to
    locked.published_at = (now or timezone.now()) if to == State.PUBLISHED else None
    records.save_version(locked, "state", "published_at")
    audit.record("transition", actor=actor, obj=locked, before={"state": source}, after={"state": to})
    return locked


def problem_saved(sender, instance, **kwargs) -> None:
    """The problem database saved a problem: mirror its known error (post_save, see apps.py)."""
    sync_known_error(instance)


def sync_known_error(problem) -> Article | None:
    """The problem's published workaround as a known-error article (Art. 14): published while the
    problem is an active known error, back to draft once it is archived (its record is kept)."""
    article = Article.objects.filter(problem=problem).first()
    if not problem.is_known_error and article is None:
        return None
    live = problem.is_known_error and problem.state != ProblemState.ARCHIVED
    fields = {
        "unit_id": problem.unit_id,
        "title": problem.title,
        "body": problem.workaround or problem.title,
        "state": State.PUBLISHED if live else State.DRAFT,
        "published_at": problem.workaround_published_at if live else None,
    }
    if article is None:
        article = Article.objects.create(problem=problem, source=Source.KNOWN_ERROR, **fields)
    elif any(getattr(article, k) != v for k, v in fields.items()):
        for key, value in fields.items():
            setattr(article, key, value)
        records.save_version(article, *[k.removesuffix("_id") for k in fields])
    else:
        return article
    reindex(article)
    return article


# -- votes ------------------------------------------------------------------------------------------


@transaction.atomic
def vote(article: Article, *, user, helpful: bool, now: datetime.datetime | None = None) -> Vote:
    """The reader's answer to "was this helpful?"; a second answer replaces the first."""
    if not readable(Article.objects.filter(pk=article.pk), user).exists():
        raise PermissionDenied(_("You cannot read this article."))
    if article.state != State.PUBLISHED:
        raise TransitionNotAllowed(_("Only a published article is rated."), field="helpful")
    answer, _created = Vote.objects.update_or_create(
        article=article, user=user, defaults={"helpful": helpful, "at": now or timezone.now()}
    )
    return answer


def tally(article: Article) -> dict:
    counts = article.votes.aggregate(
        yes=Count("pk", filter=Q(helpful=True)), no=Count("pk", filter=Q(helpful=False))
    )
    return {"yes": counts["yes"], "no": counts["no"]}


# -- search -----------------------------------------------------------------------------------------


def _ranked(terms: list[str], user, *, every: bool, limit: int) -> list[Article]:
    if not terms:
        return []
    rows = (
        Term.objects.filter(term__in=terms, article__in=readable(Article.objects.all(), user).values("pk"))
        .values("article")
        .annotate(hits=Count("term", distinct=True), score=Sum("weight"))
    )
    if every:
        rows = rows.filter(hits=len(terms))
    ranked = list(rows.order_by("-hits", "-score", "-article")[:limit].values_list("article", flat=True))
    found = Article.objects.select_related("unit").in_bulk(ranked)
    return [found[pk] for pk in ranked]


def search(text: str, user, *, published_only: bool = False) -> list[Article]:
    """Articles holding every term of `text` that `user` may read, the best first: 备份, 流程, “OA 登录”
    and a single character alike."""
    found = _ranked(query_terms(text), user, every=True, limit=RESULTS)
    return [a for a in found if a.state == State.PUBLISHED] if published_only else found


def suggest(text: str, user) -> list[Article]:
    """Published articles that may answer what a user is typing (a request's title or text): those
    sharing the most terms with it, the best first."""
    terms = query_terms(text)
    if not terms:
        return []
    found = _ranked(terms, user, every=len(terms) == 1, limit=SUGGESTIONS * 3)
    needed = 1 if len(terms) <= 2 else 2
    hits = _hits(found, terms)
    return [a for a in found if a.state == State.PUBLISHED and hits.get(a.pk, 0) >= needed][:SUGGESTIONS]


def _hits(articles: list[Article], terms: list[str]) -> dict[int, int]:
    rows = (
        Term.objects.filter(article__in=[a.pk for a in articles], term__in=terms)
        .values("article")
        .annotate(n=Count("term"))
    )
    return {row["article"]: row["n"] for row in rows}
