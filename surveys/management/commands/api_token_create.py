"""Make an API token for scripts and deployments; prints the whole token once, to standard output."""

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from surveys.tokens import api_token_issue


class Command(BaseCommand):
    help = "Make an API token acting as a staff user. The token is printed once and cannot be shown again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, help="username of the active staff member the token acts as")
        parser.add_argument("--name", required=True, help="what the token is for, e.g. 'CRM sync'")
        parser.add_argument("--expires-in-days", type=int, default=None, help="default: valid until revoked")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = get_user_model().objects.get_by_natural_key(options["user"])
        except get_user_model().DoesNotExist:
            raise CommandError(f"There is no user {options['user']!r}.") from None
        days = options["expires_in_days"]
        if days is not None and days < 1:
            raise CommandError("--expires-in-days must be at least 1.")
        expires_at = timezone.now() + timedelta(days=days) if days is not None else None
        try:
            # Run by whoever operates the server: recorded in the audit log as the system.
            issued = api_token_issue(user=user, name=options["name"][:100], by=None, expires_at=expires_at)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stderr.write(f"Token {issued.token.prefix} made for {user.get_username()}; store it now:")
        self.stdout.write(issued.text)
