"""Background work of accounts: the directory sync (issue 26 item 8)."""

import logging

from celery import shared_task
from django.conf import settings

from yunwei.core.tasks import YunweiTask

log = logging.getLogger(__name__)


@shared_task(base=YunweiTask)
def sync_directory() -> int:
    """Disable accounts the directory disabled or removed (every YUNWEI_LDAP_SYNC_MINUTES); nothing
    to do while no directory is configured."""
    if not settings.LDAP_URL:
        return 0
    # Imported here: python-ldap is an optional extra, present only where a directory is configured.
    from . import directory

    try:
        return directory.sync()
    except directory.DirectoryUnavailable as exc:
        log.warning("the directory did not answer; no account was disabled: %s", exc)
        return 0
