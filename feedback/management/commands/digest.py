"""Build a complaint digest for any period by hand: print it, or send it to someone now."""

from datetime import date, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.template.loader import render_to_string
from django.utils import timezone, translation

from feedback import digest_delivery
from feedback.digests import DigestFilters, digest_content
from feedback.models import DigestSubscription
from surveys.models import Touchpoint


class Command(BaseCommand):
    help = "Build a complaint digest for a period; print it (default) or email it with --to."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--start", type=date.fromisoformat, help="First day (YYYY-MM-DD); default a week ago.")
        parser.add_argument("--end", type=date.fromisoformat, help="Day after the last (YYYY-MM-DD); default today.")
        parser.add_argument("--survey", type=int, action="append", default=[], help="Only this survey id (repeatable).")
        parser.add_argument(
            "--touchpoint", action="append", default=[], help="Only surveys of this touchpoint key (repeatable)."
        )
        parser.add_argument("--language", choices=["en", "zh-hans"], default="en", help="Language of the digest.")
        parser.add_argument("--to", help="Email the digest to this address instead of printing it.")

    def handle(self, *args: Any, **options: Any) -> None:
        end = options["end"] or timezone.localdate()
        start = options["start"] or end - timedelta(days=7)
        if start >= end:
            raise CommandError("--start must be before --end.")
        touchpoints = dict(Touchpoint.objects.filter(key__in=options["touchpoint"]).values_list("key", "pk"))
        unknown = sorted(set(options["touchpoint"]) - set(touchpoints))
        if unknown:
            raise CommandError(f"Unknown touchpoint: {', '.join(unknown)}.")
        filters = DigestFilters(survey_ids=tuple(options["survey"]), touchpoint_ids=tuple(touchpoints.values()))
        content = digest_content(filters=filters, start=start, end=end)
        if options["to"]:
            subscription = DigestSubscription(email=options["to"], language=options["language"], name="by hand")
            digest_delivery.digest_email(subscription=subscription, content=content).send()
            self.stdout.write(f"Sent the digest for {start} to {end} to {options['to']}.")
            return
        with translation.override(options["language"]):
            context = digest_delivery.digest_context(content, language=options["language"])
            self.stdout.write(render_to_string("feedback/digest/digest.txt", context))
