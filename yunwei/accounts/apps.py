from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "yunwei.accounts"
    label = "accounts"
