import getpass

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Create a group system admin account (a superuser) for the first log-in."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument("--password", help="Taken from the prompt when omitted.")

    def handle(self, *args, username, email, password, **options):
        User = get_user_model()
        if User.objects.filter(username__iexact=username).exists():
            raise CommandError(f"username: {username!r} is taken")
        password = password or getpass.getpass("Password: ")
        try:
            password_validation.validate_password(password, User(username=username, email=email))
        except ValidationError as exc:
            raise CommandError("password: " + " ".join(exc.messages)) from None
        User.objects.create_superuser(username, email, password)
        self.stdout.write(self.style.SUCCESS(f"Group system admin {username} created."))
