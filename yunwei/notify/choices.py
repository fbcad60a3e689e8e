"""Stable codes of the notify app; labels are translated, codes never change."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ChannelKind(models.TextChoices):
    EMAIL = "email", _("E-mail (SMTP)")
    WECOM = "wecom", _("WeCom robot")
    DINGTALK = "dingtalk", _("DingTalk robot")
    FEISHU = "feishu", _("Feishu robot")
    WEBHOOK = "webhook", _("Webhook (JSON, HMAC-signed)")


class RecipientKind(models.TextChoices):
    EMAIL = "email", _("E-mail address")
    CHANNEL = "channel", _("Channel")
    # A notice that named nobody with a way to be reached: one row says so in the delivery log.
    NOBODY = "nobody", _("Nobody")


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    MERGED = "merged", _("Merged into a digest")
    UNREACHABLE = "unreachable", _("Nobody to reach")

    @property
    def badge(self) -> str:
        return {
            "pending": "secondary",
            "sending": "info",
            "sent": "success",
            "failed": "danger",
            "merged": "light",
            "unreachable": "danger",
        }[self.value]


class Language(models.TextChoices):
    ZH_HANS = "zh-hans", "简体中文"
    EN = "en", "English"


# Published limits of the group robots: (messages, seconds) windows that must all hold.
RATE_LIMITS: dict[str, tuple[tuple[int, int], ...]] = {
    ChannelKind.DINGTALK: ((20, 60),),
    ChannelKind.WECOM: ((20, 60),),
    ChannelKind.FEISHU: ((100, 60), (5, 1)),
}
