"""Pages of notify, under /notify/."""

from django.urls import path

from . import views

app_name = "notify"
urlpatterns = [
    path("", views.channel_list),
    path("channels/", views.channel_list, name="channel-list"),
    path("channels/new/", views.channel_create, name="channel-create"),
    path("channels/<int:pk>/", views.channel_detail, name="channel-detail"),
    path("channels/<int:pk>/edit/", views.channel_edit, name="channel-edit"),
    path("channels/<int:pk>/delete/", views.channel_delete, name="channel-delete"),
    path("channels/<int:pk>/test/", views.channel_test, name="channel-test"),
    path("deliveries/", views.delivery_list, name="delivery-list"),
    path("deliveries/<int:pk>/retry/", views.delivery_retry, name="delivery-retry"),
    path("allow-list/", views.allow_list, name="allow-list"),
    path("allow-list/<int:pk>/remove/", views.allow_list_remove, name="allow-list-remove"),
    path("preferences/", views.preferences, name="preferences"),
]
