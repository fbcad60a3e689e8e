"""Pages of the inventory, under /cmdb/."""

from django.urls import path

from . import views

app_name = "cmdb"
urlpatterns = [
    path("", views.item_list, name="item-list"),
    path("items/new/", views.item_create, name="item-create"),
    path("items/<int:pk>/", views.item_detail, name="item-detail"),
    path("items/<int:pk>/edit/", views.item_edit, name="item-edit"),
    path("items/<int:pk>/delete/", views.item_delete, name="item-delete"),
    path("items/<int:pk>/graph/", views.item_graph, name="item-graph"),
    path("items/<int:pk>/topology/", views.item_topology, name="item-topology"),
    path("items/<int:pk>/relations/", views.relation_create, name="relation-create"),
    path("relations/<int:pk>/delete/", views.relation_delete, name="relation-delete"),
    path("topology/", views.topology_list, name="topology-list"),
    path("export/", views.export, name="export"),
    path("import/", views.import_page, name="import"),
    path("import/template/<slug:code>/", views.import_template, name="import-template"),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("catalogue/types/new/", views.item_type_create, name="type-create"),
    path("catalogue/types/<int:pk>/edit/", views.item_type_edit, name="type-edit"),
    path("catalogue/relation-types/new/", views.relation_type_create, name="relationtype-create"),
    path("catalogue/relation-types/<int:pk>/edit/", views.relation_type_edit, name="relationtype-edit"),
]
