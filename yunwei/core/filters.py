"""Filter fields shared by every app's lists."""

import django_filters
from django import forms

# The largest key both SQLite and PostgreSQL store; larger numbers are refused as bad input (400)
# instead of reaching the database driver.
MAX_ID = 2**63 - 1


class IdFilter(django_filters.NumberFilter):
    """A record's number (primary key or a copied one such as the audit log's actor)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class DaysFilter(django_filters.NumberFilter):
    """A number of days ahead, bounded to ten years."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", 3650)
        super().__init__(*args, **kwargs)
