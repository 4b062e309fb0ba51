"""What the load and fault tests share: processes started together, seed data, a concurrent HTTP
client, and the figures that say whether any work was lost or done twice.

Every test here starts real processes (gunicorn, Celery workers and beats, an SMTP server,
a private Redis or PostgreSQL) on the test database; see tests/realparts.py.
"""

import asyncio
import os
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qs, urlencode

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from feedback import routing
from feedback.answering import response_save_page
from feedback.models import Answer, FollowUp, FollowUpNotification, StaffProfile, SurveyResponse
from surveys import distributions
from surveys.links import Link, LinkKind
from surveys.models import Contact, Distribution, Invitation, InvitationEmail, Survey
from tests.realparts import SmtpSink, service_env, wait_until
from tests.survey_data import TEN_ANSWERS

User = get_user_model()


def stack_env(queue: str, sink: SmtpSink, **extra: str) -> dict[str, str]:
    """The environment of the test's processes: the test database, the test Redis, its queue and sink."""
    return service_env(
        database_name=connection.settings_dict["NAME"],
        redis_url=os.environ["REDIS_URL"],
        smtp_port=sink.port,
        queue=queue,
        **extra,
    )


class Part(Protocol):
    def start(self) -> Any: ...

    def stop(self) -> None: ...


@contextmanager
def running(*parts: Part) -> Iterator[None]:
    """Start the processes in order; stop every one that started, last first, whatever happens."""
    with ExitStack() as stack:
        for part in parts:
            part.start()
            stack.callback(part.stop)
        yield


def make_owners(count: int, *, with_managers: bool = False) -> list[AbstractUser]:
    """Staff who own follow-ups (each with a manager of their own if asked), and the fallback superuser."""
    if not User.objects.filter(is_superuser=True).exists():
        User.objects.create_superuser("chief", "chief@corp.example", "a-long-password-1")
    owners = []
    for number in range(count):
        owner = User.objects.create_user(f"owner{number}", f"owner{number}@corp.example", is_staff=True)
        if with_managers:
            manager = User.objects.create_user(f"manager{number}", f"manager{number}@corp.example", is_staff=True)
            StaffProfile.objects.create(user=owner, manager=manager)
        owners.append(owner)
    return owners


def make_invited(survey: Survey, count: int, *, owners: list[AbstractUser], prefix: str = "customer") -> list[str]:
    """Contacts with a personal invitation each, owned in turn by the owners; their tokens."""
    contacts = Contact.objects.bulk_create(
        [
            Contact(
                email=f"{prefix}{number}@example.com",
                name=f"Customer {number}",
                account_owner=owners[number % len(owners)],
            )
            for number in range(count)
        ]
    )
    invitations = Invitation.objects.bulk_create(
        [Invitation(survey=survey, contact=contact, kind=Invitation.Kind.PERSONAL) for contact in contacts]
    )
    return [invitation.token for invitation in invitations]


def make_distribution(survey: Survey, count: int, *, prefix: str = "audience", schedule: bool = True) -> Distribution:
    """A distribution to `count` new contacts, scheduled to go out at the next tick unless told not to."""
    contacts = Contact.objects.bulk_create(
        [Contact(email=f"{prefix}{number}@example.com", name=f"Reader {number}") for number in range(count)]
    )
    distribution = Distribution.objects.create(name=f"To {count}", survey=survey)
    distribution.contacts.set(contacts)
    return distributions.distribution_schedule(distribution=distribution) if schedule else distribution


def ten_answers(number: int) -> bytes:
    """One completed page of the ten-question survey; every fourth customer is a detractor."""
    answers = {name: list(values) for name, values in TEN_ANSWERS.items()}
    if is_detractor(number):
        answers["q_nps"] = ["3"]
        answers["q_worst"] = [f"The export crashed again and support never answered (case {number})."]
    fields = [("lang", "en"), *((name, value) for name, values in answers.items() for value in values)]
    return urlencode(fields).encode()


def is_detractor(number: int) -> bool:
    return number % 4 == 0


def submit(token: str, number: int) -> int:
    """Complete a response through the service the answer page calls (its tagging is enqueued); its id."""
    saved = response_save_page(token=token, page=1, data=parse_qs(ten_answers(number).decode()), language="en")
    return saved.response_id


def make_assigned_follow_ups(tokens: list[str]) -> list[FollowUp]:
    """Detractors' follow-ups, assigned and their owners told a while ago: no email of theirs is left."""
    for token in tokens:
        routing.response_route(response_id=submit(token, number=0))
    FollowUpNotification.objects.update(status=FollowUpNotification.Status.SENT, sent_at=timezone.now())
    return list(FollowUp.objects.order_by("pk"))


@dataclass(frozen=True)
class Answered:
    """What the server said to one POST, and how long it took."""

    token: str
    status: int
    location: str
    seconds: float


def post_all(port: int, posts: list[tuple[str, bytes]], *, clients: int, timeout: float = 120) -> list[Answered]:
    """POST each body to /s/<token>/ from `clients` concurrent connections; status 0 is a failed connection."""
    return asyncio.run(_post_all(port, posts, clients=clients, timeout=timeout))


async def _post_all(port: int, posts: list[tuple[str, bytes]], *, clients: int, timeout: float) -> list[Answered]:
    waiting = list(reversed(posts))
    answered: list[Answered] = []

    async def client() -> None:
        while waiting:
            token, body = waiting.pop()
            started = time.monotonic()
            try:
                async with asyncio.timeout(timeout):
                    status, location = await _post(port, f"/s/{token}/", body)
            except (OSError, TimeoutError, ValueError, asyncio.IncompleteReadError) as error:
                status, location = 0, f"{type(error).__name__}: {error}"
            answered.append(Answered(token, status, location, time.monotonic() - started))

    await asyncio.gather(*(client() for _ in range(clients)))
    return answered


async def _post(port: int, path: str, body: bytes) -> tuple[int, str]:
    """One POST on its own connection (gunicorn's sync workers close it after answering)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    writer.write(head.encode() + body)
    await writer.drain()
    raw = await reader.read()
    writer.close()
    lines = raw.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    location = next((line.split(":", 1)[1].strip() for line in lines[1:] if line.lower().startswith("location:")), "")
    return status, location


def thanked(answer: Answered) -> bool:
    """The answer of an accepted submission: a redirect to its link's thank-you page."""
    thanks = Link(LinkKind.INVITATION, answer.token).path + "thanks/?lang=en"
    return answer.status == 302 and answer.location.endswith(thanks)


def responses_per_invitation(tokens: list[str]) -> Counter[int]:
    """How many completed responses each of these invitations has (the count, counted)."""
    counts = (
        SurveyResponse.objects.completed()
        .filter(invitation__token__in=tokens)
        .values("invitation")
        .annotate(responses=Count("pk"))
        .values_list("responses", flat=True)
    )
    return Counter(counts)


def work_left(*, invitations: int) -> dict[str, int]:
    """What is still to do, when `invitations` invitation emails are to be sent: all zero when done."""
    return {
        "untagged answers": Answer.objects.free_text().filter(analysed_at__isnull=True).count(),
        "unrouted responses": SurveyResponse.objects.completed().filter(routed_at__isnull=True).count(),
        "unsent follow-up emails": FollowUpNotification.objects.exclude(
            status=FollowUpNotification.Status.SENT
        ).count(),
        "unsent invitations": invitations - InvitationEmail.objects.filter(status=InvitationEmail.Status.SENT).count(),
    }


def all_done(*, invitations: int, timeout: float) -> bool:
    """Wait until no work is left; False if some still is after the timeout."""
    return bool(wait_until(lambda: not any(work_left(invitations=invitations).values()), timeout=timeout, interval=0.5))


def follow_ups_per_response() -> Counter[int]:
    """How many follow-ups each response that has one has: {1: n} when the loop is whole."""
    counts = FollowUp.objects.values("response").annotate(n=Count("pk")).values_list("n", flat=True)
    return Counter(counts)


def kind_of_email(subject: str) -> str:
    """Which kind of email a subject belongs to."""
    kinds = {
        "Escalated:": "escalation",
        "Reminder: follow-up": "follow-up reminder",
        "Reminder:": "invitation reminder",
        "Follow-up #": "assigned",
        "Customer complaints": "digest",
    }
    return next((kind for start, kind in kinds.items() if subject.startswith(start)), "invitation")


def emails_by_kind(sink: SmtpSink) -> Counter[str]:
    """What the mail server took so far, by kind of email."""
    return Counter(kind_of_email(subject) for subject in sink.subjects())


def received(sink: SmtpSink) -> Counter[tuple[str, str]]:
    """Messages the SMTP server took, counted by (recipient, subject): no key above 1 when nothing is twice."""
    return Counter(zip(sink.recipients(), sink.subjects(), strict=True))


def twice(sink: SmtpSink) -> dict[tuple[str, str], int]:
    return {key: count for key, count in received(sink).items() if count > 1}
