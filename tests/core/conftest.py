"""Temporary stand-ins until tests/conftest.py provides the shared personas."""

import pytest
from rest_framework.test import APIClient


@pytest.fixture
def group_admin(django_user_model):
    return django_user_model.objects.create_superuser("group-admin", password="a-long-password-1")


@pytest.fixture
def unit_user_a(django_user_model):
    return django_user_model.objects.create_user("unit-user-a", password="a-long-password-1")


@pytest.fixture
def api_client_for():
    def make(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make
