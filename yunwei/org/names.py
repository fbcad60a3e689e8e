"""Names of accounts and units for the apps that keep only their numbers (the audit log, which depends on
no other app, is told of this function by `settings.AUDIT_NAMES`)."""

from django.contrib.auth import get_user_model

from .models import Person, Unit


def audit_names(actor_ids, unit_ids) -> tuple[dict[int, str], dict[int, str]]:
    """{account id: the person's name, else the username}, {unit id: the unit's name}."""
    actor_ids, unit_ids = {i for i in actor_ids if i}, {i for i in unit_ids if i}
    actors = dict(get_user_model().objects.filter(pk__in=actor_ids).values_list("pk", "username"))
    actors.update(
        Person.objects.filter(account_id__in=actor_ids).exclude(name="").values_list("account_id", "name")
    )
    return actors, dict(Unit.objects.filter(pk__in=unit_ids).values_list("pk", "name"))
