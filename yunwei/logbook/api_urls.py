from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api

app_name = "logbook"

router = SimpleRouter()
router.register("notes", api.NoteViewSet, basename="note")
router.register("backups", api.BackupViewSet, basename="backup")
router.register("drills", api.DrillViewSet, basename="drill")
router.register("templates", api.TemplateViewSet, basename="template")
router.register("rounds", api.RoundViewSet, basename="round")
router.register("readings", api.ReadingViewSet, basename="reading")
router.register("attachments", api.AttachmentViewSet, basename="attachment")
router.register("reviews", api.ReviewViewSet, basename="review")
router.register("findings", api.FindingViewSet, basename="finding")
router.register("rectifications", api.RectificationViewSet, basename="rectification")
urlpatterns = [path("month/", api.MonthView.as_view(), name="month"), *router.urls]
