"""Run the periodic distribution tick once, by hand (beat runs it every minute)."""

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from surveys.periodic import periodic_tick


class Command(BaseCommand):
    help = "Run the periodic tick once: due distributions, reminders, lost work, due emails."

    def handle(self, *args: Any, **options: Any) -> None:
        figures = periodic_tick(now=timezone.now())
        self.stdout.write(" ".join(f"{name}={count}" for name, count in figures.items()))
