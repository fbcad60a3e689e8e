"""Pages of the organisation, under /org/."""

from django.urls import path

from . import views
from .models import MaintenanceContract, Person, Team, Unit, Vendor, VendorEngineer

app_name = "org"
urlpatterns = [
    path("", views.unit_list),
    # Units
    path("units/", views.unit_list, name="unit-list"),
    path("units/new/", views.create, {"model": Unit}, name="unit-create"),
    path("units/<int:pk>/", views.unit_detail, name="unit-detail"),
    path("units/<int:pk>/edit/", views.edit, {"model": Unit}, name="unit-edit"),
    # Teams
    path("teams/", views.team_list, name="team-list"),
    path("teams/new/", views.create, {"model": Team}, name="team-create"),
    path("teams/<int:pk>/", views.team_detail, name="team-detail"),
    path("teams/<int:pk>/edit/", views.edit, {"model": Team}, name="team-edit"),
    path("teams/<int:pk>/delete/", views.delete, {"model": Team}, name="team-delete"),
    # People, their roles and accounts
    path("people/", views.person_list, name="person-list"),
    path("people/new/", views.create, {"model": Person}, name="person-create"),
    path("people/<int:pk>/", views.person_detail, name="person-detail"),
    path("people/<int:pk>/edit/", views.edit, {"model": Person}, name="person-edit"),
    path("people/<int:pk>/delete/", views.delete, {"model": Person}, name="person-delete"),
    path("people/<int:pk>/reveal/", views.reveal, {"model": Person}, name="person-reveal"),
    path("people/<int:pk>/roles/", views.person_assign_role, name="person-assign-role"),
    path("people/<int:pk>/account/", views.person_account, name="person-account"),
    path("people/<int:pk>/account/active/", views.person_account_active, name="person-account-active"),
    path("roles/<int:pk>/revoke/", views.role_revoke, name="role-revoke"),
    # Vendors, their engineers and contracts
    path("vendors/", views.vendor_list, name="vendor-list"),
    path("vendors/new/", views.create, {"model": Vendor}, name="vendor-create"),
    path("vendors/<int:pk>/", views.vendor_detail, name="vendor-detail"),
    path("vendors/<int:pk>/edit/", views.edit, {"model": Vendor}, name="vendor-edit"),
    path("vendors/<int:pk>/delete/", views.delete, {"model": Vendor}, name="vendor-delete"),
    path("vendors/<int:pk>/engineers/new/", views.create, {"model": VendorEngineer}, name="engineer-create"),
    path("engineers/<int:pk>/edit/", views.edit, {"model": VendorEngineer}, name="engineer-edit"),
    path("engineers/<int:pk>/delete/", views.delete, {"model": VendorEngineer}, name="engineer-delete"),
    path("engineers/<int:pk>/reveal/", views.reveal, {"model": VendorEngineer}, name="engineer-reveal"),
    path(
        "vendors/<int:pk>/contracts/new/",
        views.create,
        {"model": MaintenanceContract},
        name="contract-create",
    ),
    path("contracts/<int:pk>/edit/", views.edit, {"model": MaintenanceContract}, name="contract-edit"),
    path("contracts/<int:pk>/delete/", views.delete, {"model": MaintenanceContract}, name="contract-delete"),
]
