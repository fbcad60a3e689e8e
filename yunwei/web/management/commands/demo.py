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


class Command(BaseCommand):
    help = "Load the demo group (units, teams, people, vendors, accounts) into an empty database."

    def handle(self, *args, **options):
        if Unit.objects.exists():
            raise CommandError("The database already holds units; the demo loads only into an empty one.")
        with transaction.atomic():
            org_demo.load(self.stdout)
            cmdb_demo.load(self.stdout)
            incidents_demo.load(self.stdout)
            problems_demo.load(self.stdout)
            changes_demo.load(self.stdout)
            monitoring_demo.load(self.stdout)
            indicator_demo.load(self.stdout)
            alerts_demo.load(self.stdout)
            logbook_demo.load(self.stdout)
            compliance_demo.load(self.stdout)
            reports_demo.load(self.stdout)
            web_demo.load(self.stdout)
            servicedesk_demo.load(self.stdout)
            knowledge_demo.load(self.stdout)
            accounts_demo.load(self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
