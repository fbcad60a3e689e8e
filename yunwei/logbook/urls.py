"""Pages of the log books (Art. 5), under /logbook/."""

from django.urls import path

from . import views

app_name = "logbook"
urlpatterns = [
    path("", views.index, name="index"),
    path("units/<int:pk>/", views.month, name="month"),
    path("units/<int:pk>/notes/new/", views.entry_create, {"kind": "note"}, name="note-create"),
    path("units/<int:pk>/backups/new/", views.entry_create, {"kind": "backup"}, name="backup-create"),
    path("units/<int:pk>/drills/new/", views.entry_create, {"kind": "drill"}, name="drill-create"),
    path("units/<int:pk>/review/", views.review, name="review"),
    path("units/<int:pk>/review/confirm/", views.review_confirm, name="review-confirm"),
    path("units/<int:pk>/review/findings/", views.review_finding, name="review-finding"),
    path("units/<int:pk>/review/sign/", views.review_sign, name="review-sign"),
    path("notes/<int:pk>/", views.entry_edit, {"kind": "note"}, name="note-edit"),
    path("backups/<int:pk>/", views.entry_edit, {"kind": "backup"}, name="backup-edit"),
    path("drills/<int:pk>/", views.entry_edit, {"kind": "drill"}, name="drill-edit"),
    path("notes/<int:pk>/attach/", views.entry_attach, {"kind": "note"}, name="note-attach"),
    path("backups/<int:pk>/attach/", views.entry_attach, {"kind": "backup"}, name="backup-attach"),
    path("drills/<int:pk>/attach/", views.entry_attach, {"kind": "drill"}, name="drill-attach"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    path("rounds/", views.template_list, name="template-list"),
    path("rounds/new/", views.template_create, name="template-create"),
    path("rounds/<int:pk>/", views.template_detail, name="template-detail"),
    path("rounds/<int:pk>/edit/", views.template_edit, name="template-edit"),
    path("rounds/<int:pk>/retire/", views.template_retire, name="template-retire"),
    path("rounds/<int:pk>/qr.svg", views.template_qr, name="template-qr"),
    path("rounds/<int:pk>/walk/", views.round_walk, name="round-walk"),
    path("walked/<int:pk>/", views.round_detail, name="round-detail"),
    path("readings/<int:pk>/escalate/", views.reading_escalate, name="reading-escalate"),
    path("findings/<int:pk>/rectify/", views.finding_rectify, name="finding-rectify"),
    path("rectifications/", views.rectification_list, name="rectification-list"),
    path("rectifications/<int:pk>/", views.rectification_detail, name="rectification-detail"),
    path(
        "rectifications/<int:pk>/transition/", views.rectification_transition, name="rectification-transition"
    ),
]
