"""manage.py retention: apply the retention windows now (the nightly job, by hand)."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from vocsite.privacy.retention import retention_run


class Command(BaseCommand):
    help = "Redact personal data older than its retention window (settings.RETENTION_DAYS), in batches."

    def handle(self, *args: Any, **options: Any) -> None:
        for data_class, days in settings.RETENTION_DAYS.items():
            self.stdout.write(f"{data_class}: {f'{days} days' if days else 'kept'}")
        changed: dict[str, int] = {}
        while True:
            report = retention_run(now=timezone.now())
            for name, count in report.changed.items():
                changed[name] = changed.get(name, 0) + count
            if report.finished:
                break
        for name, count in sorted(changed.items()):
            self.stdout.write(f"{name}: {count}")
