"""Choice sets of the knowledge base (Art. 9: technical support and service to the users)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")

    @property
    def badge(self) -> str:
        return {"draft": "secondary", "published": "success"}[self.value]


# An article is written as a draft, published by an admin of its unit, and may be taken back to draft.
ALLOWED_TRANSITIONS: dict[str, tuple[str, ...]] = {
    State.DRAFT: (State.PUBLISHED,),
    State.PUBLISHED: (State.DRAFT,),
}


class Source(models.TextChoices):
    ARTICLE = "article", _("Article")
    KNOWN_ERROR = "known_error", _("Known error")

    @property
    def badge(self) -> str:
        return {"article": "primary", "known_error": "warning"}[self.value]
