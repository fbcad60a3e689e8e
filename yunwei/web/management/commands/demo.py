from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from yunwei.accounts import demo as accounts_demo
from yunwei.alerts import demo as alerts_demo
from yunwei.changes import demo as changes_demo
from yunwei.cmdb import demo as cmdb_demo
from yunwei.compliance import demo as compliance_demo
from yunwei.incidents import demo as incidents_demo
from yunwei.knowledge import demo as knowledge_demo
from yunwei.logbook import demo as logbook_demo
from yunwei.monitoring import demo as monitoring_demo
from yunwei.monitoring import indicator_demo
from yunwei.org import demo as org_demo
from yunwei.org.models import Unit
from yunwei.problems import demo as problems_demo
from yunwei.reports import demo as reports_demo
from yunwei.servicedesk import demo as servicedesk_demo
from yunwei.web import demo as web_demo

# In the order they build on each other.
PARTS = {
    "org": org_demo,
    "cmdb": cmdb_demo,
    "incidents": incidents_demo,
    "problems": problems_demo,
    "changes": changes_demo,
    "monitoring": monitoring_demo,
    "indicators": indicator_demo,
    "alerts": alerts_demo,
    "logbook": logbook_demo,
    "compliance": compliance_demo,
    "reports": reports_demo,
    "web": web_demo,
    "servicedesk": servicedesk_demo,
    "knowledge": knowledge_demo,
    "accounts": accounts_demo,
}


def load_everything(stdout=None) -> dict:
    """Every part of the demo in one transaction; what each part's `load` answered, by part."""
    if Unit.objects.exists():
        raise CommandError("The database already holds units; the demo loads only into an empty one.")
    with transaction.atomic():
        return {name: part.load(stdout) for name, part in PARTS.items()}


class Command(BaseCommand):
    help = "Load the demo group (units, teams, people, vendors, accounts) into an empty database."

    def handle(self, *args, **options):
        load_everything(self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
