from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "yunwei.knowledge"
    verbose_name = _("Knowledge base")

    def ready(self):
        from yunwei.problems.models import Problem

        from . import services

        # The problem database must not know the knowledge base (apps depend downward only): a known
        # error published, changed or archived there is mirrored here after the problem's save.
        post_save.connect(services.problem_saved, sender=Problem, dispatch_uid="knowledge-known-errors")
