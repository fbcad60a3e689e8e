"""Pages of the knowledge base: read, search, write and rate articles; suggestions as a user types.
Every article is looked up through `services.readable()`, so another unit's article is a 404."""

from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yunwei.core.pages import act, form_page, page_view, paginate

from . import services
from .choices import ALLOWED_TRANSITIONS, State
from .forms import ArticleForm, VoteForm
from .models import Article, Vote


def _article(request, pk) -> Article:
    return get_object_or_404(services.readable(Article.objects.select_related("unit"), request.user), pk=pk)


@page_view
def article_list(request):
    q = request.GET.get("q", "").strip()
    if q:
        rows = services.search(q, request.user)
    else:
        rows = services.readable(Article.objects.select_related("unit"), request.user)
    page_obj, query = paginate(request, rows, 25)
    context = {
        "page_obj": page_obj,
        "query": query,
        "q": q,
        "results_id": "knowledge-results",
        "may_write": services.writable_units(request.user).exists(),
    }
    if request.htmx:
        return render(request, "knowledge/partials/article_table.html", context)
    return render(request, "knowledge/article_list.html", context)


@page_view
def article_detail(request, pk):
    article = _article(request, pk)
    mine = Vote.objects.filter(article=article, user=request.user).first()
    context = {
        "article": article,
        "tally": services.tally(article),
        "my_vote": mine,
        "may_edit": services.may_edit(article, request.user),
        "targets": [State(to) for to in ALLOWED_TRANSITIONS[article.state]],
    }
    return render(request, "knowledge/article_detail.html", context)


@page_view
def article_create(request):
    form = ArticleForm(request.POST or None, units=services.writable_units(request.user))
    if not form.fields["unit"].queryset.exists():
        raise PermissionDenied(_("Articles are written by the admins of their unit."))
    return form_page(
        request,
        form,
        lambda: services.create_article(
            actor=request.user,
            unit=form.cleaned_data["unit"],
            title=form.cleaned_data["title"],
            body=form.cleaned_data["body"],
            publish=form.cleaned_data["publish"],
        ),
        title=_("New knowledge article"),
        cancel_url=reverse("knowledge:article-list"),
        after=lambda article: reverse("knowledge:article-detail", args=[article.pk]),
    )


@page_view
def article_edit(request, pk):
    article = _article(request, pk)
    if not services.may_edit(article, request.user):
        raise PermissionDenied(_("Articles are written by the admins of their unit."))
    form = ArticleForm(request.POST or None, article=article)
    return form_page(
        request,
        form,
        lambda: services.update_article(
            article,
            actor=request.user,
            expected_version=form.cleaned_data["version"],
            title=form.cleaned_data["title"],
            body=form.cleaned_data["body"],
        ),
        title=_("Edit “%(title)s”") % {"title": article.title},
        cancel_url=reverse("knowledge:article-detail", args=[article.pk]),
        after=lambda saved: reverse("knowledge:article-detail", args=[saved.pk]),
    )


@page_view
@require_POST
def article_transition(request, pk):
    article = _article(request, pk)
    to = request.POST.get("to", "")
    url = reverse("knowledge:article-detail", args=[article.pk])
    message = _("Published.") if to == State.PUBLISHED else _("Back to draft.")
    return act(request, url, lambda: services.transition(article, to=to, actor=request.user), message)


@page_view
@require_POST
def article_vote(request, pk):
    article = _article(request, pk)
    form = VoteForm(request.POST)
    url = reverse("knowledge:article-detail", args=[article.pk])
    return act(
        request,
        url,
        lambda: services.vote(article, user=request.user, helpful=form.cleaned_data["helpful"]),
        _("Thank you for your answer."),
        form=form,
        invalid=_("Answer yes or no."),
    )


@page_view
def suggest(request):
    """JSON for a form that suggests articles as a user types (`?q=` the text typed so far)."""
    found = services.suggest(request.GET.get("q", ""), request.user)
    return JsonResponse(
        {
            "results": [
                {
                    "id": article.pk,
                    "title": article.title,
                    "source": article.source,
                    "source_label": article.get_source_display(),
                    "url": reverse("knowledge:article-detail", args=[article.pk]),
                    "excerpt": article.body[:120],
                }
                for article in found
            ]
        }
    )
