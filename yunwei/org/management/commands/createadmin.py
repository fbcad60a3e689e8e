"""`yunwei createadmin <name>`: the first group system admin, audited (in org: it may link a person)."""

import getpass
import os
import sys

from django.core.management.base import BaseCommand, CommandError

from yunwei.core.errors import DomainError
from yunwei.org import services
from yunwei.org.models import Person

PASSWORD_VARIABLE = "YUNWEI_ADMIN_PASSWORD"  # noqa: S105 (the name of a variable, not a password)


class Command(BaseCommand):
    help = (
        "Create a group system admin account (a superuser) for the first log-in. The password is "
        f"asked for, or read from {PASSWORD_VARIABLE}; never taken on the command line."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="the account's user name, e.g. admin")
        parser.add_argument("--email", default="")
        link = parser.add_mutually_exclusive_group()
        link.add_argument("--person", type=int, help="link an existing person (ID) who has no account yet")
        link.add_argument("--name", default="", help="add a person of this name to the group and link it")

    def _password(self) -> str:
        password = os.environ.get(PASSWORD_VARIABLE, "")
        if password:
            return password
        if not sys.stdin.isatty():
            raise CommandError(f"password: set {PASSWORD_VARIABLE} or run the command in a terminal")
        password = getpass.getpass("Password: ")
        if getpass.getpass("Password (again): ") != password:
            raise CommandError("password: the two entries differ")
        return password

    def handle(self, *args, username, email, person, name, **options):
        linked = None
        if person is not None:
            linked = Person.objects.filter(pk=person).first()
            if linked is None:
                raise CommandError(f"person: no person with ID {person}")
        try:
            services.create_group_admin(
                username, password=self._password(), email=email, person=linked, name=name
            )
        except DomainError as exc:
            raise CommandError(f"{exc.field}: {exc.message}") from None
        self.stdout.write(self.style.SUCCESS(f"Group system admin {username} created."))
