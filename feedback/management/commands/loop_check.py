"""Check the closed loop's invariants; safe to run in production (it only reads)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from feedback.loop_checks import loop_problems


class Command(BaseCommand):
    help = (
        "List unhappy responses without a follow-up, open follow-ups without owner or due time, and overdue "
        "follow-ups never escalated. Exits with status 1 when there is any."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--grace-minutes", type=int, default=10, help="Ignore what is younger than this.")

    def handle(self, *args: Any, **options: Any) -> None:
        problems = loop_problems(now=timezone.now(), grace_minutes=options["grace_minutes"])
        for name, ids in problems.items():
            self.stdout.write(f"{name}: {len(ids)}" + (f" (ids {', '.join(map(str, ids[:50]))})" if ids else ""))
        if any(problems.values()):
            raise CommandError("The closed loop has problems; see above.")
        self.stdout.write(self.style.SUCCESS("The closed loop is whole."))
