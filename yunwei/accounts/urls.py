from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("otp/", views.otp_verify, name="otp"),
    path("otp/setup/", views.otp_setup, name="otp-setup"),
    path("password/", views.PasswordChangeView.as_view(), name="password-change"),
    path("contact/", views.contact_change, name="contact"),
    path("deputies/", views.delegation_list, name="delegation-list"),
    path("deputies/<int:pk>/end/", views.delegation_end, name="delegation-end"),
    path("directory/", views.directory_rule_list, name="directory-rule-list"),
    path("directory/new/", views.directory_rule_create, name="directory-rule-create"),
    path("directory/<int:pk>/", views.directory_rule_edit, name="directory-rule-edit"),
    path("directory/<int:pk>/delete/", views.directory_rule_delete, name="directory-rule-delete"),
]
