"""The knowledge base (Art. 9: technical support and service to the users; issue 26 item 6): articles the
admins write for a unit or the whole group, and the problem database's published known errors with their
workarounds, searchable in Chinese and rated by their readers."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yunwei.core.models import VersionedModel
from yunwei.org.models import Unit

from .choices import Source, State


class Article(VersionedModel):
    """An entry of the knowledge base. One written by an admin is scoped to its unit, or to every unit
    when its unit is the group; a known error (`source="known_error"`) mirrors a problem's published
    workaround (Art. 14) and is edited in the problem database only."""

    scope_unit_field = "unit"

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="articles")
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, default=Source.ARTICLE)
    problem = models.OneToOneField(
        "problems.Problem",
        verbose_name=_("problem"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="knowledge_article",
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.DRAFT)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("knowledge article")
        verbose_name_plural = _("knowledge articles")
        ordering = ["-published_at", "-id"]
        indexes = [models.Index(fields=["unit", "state"])]

    def __str__(self) -> str:
        return self.title

    @property
    def name(self) -> str:
        return self.title

    @property
    def state_badge(self) -> str:
        return State(self.state).badge

    @property
    def source_badge(self) -> str:
        return Source(self.source).badge


class Term(models.Model):
    """One search term of an article (a Chinese character, a pair of them, or a Latin word) with its
    weight; looked up by equality through the index, so the search is the same on SQLite and PostgreSQL."""

    scope_unit_field = "article__unit"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="terms")
    term = models.CharField(max_length=40)
    weight = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("search term")
        verbose_name_plural = _("search terms")
        constraints = [models.UniqueConstraint(fields=["article", "term"], name="knowledge_term_once")]
        indexes = [models.Index(fields=["term", "article"], name="knowledge_term_lookup")]

    def __str__(self) -> str:
        return self.term


class Vote(models.Model):
    """A reader's answer to "was this helpful?": one per reader and article, the latest answer kept."""

    scope_unit_field = "article__unit"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    helpful = models.BooleanField(_("helpful"))
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [models.UniqueConstraint(fields=["article", "user"], name="knowledge_vote_once")]

    def __str__(self) -> str:
        return f"{self.article_id}:{self.user_id}:{self.helpful}"
