"""A customer with a whole history (answers, a follow-up worked and resolved, emails, a digest quote,
a row in an imported file), and a way to search every stored value for a piece of personal data."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import models
from django.test import Client
from django.utils import timezone

from feedback import loop, metrics, rollups
from feedback.digests import DigestFilters, digest_content
from feedback.loop_metrics import loop_metrics
from feedback.models import DigestDelivery, DigestSubscription, FollowUp, RootCause, SurveyResponse
from surveys.models import Contact, ContactImport, Invitation, InvitationEmail, Survey
from tests.conftest import make_contact, make_invitation, make_survey
from vocsite.privacy.registry import project_models

User = get_user_model()


@dataclass
class Story:
    contact: Contact
    invitation: Invitation
    token: str
    response: SurveyResponse
    follow_up: FollowUp


def live_story(
    *,
    survey: Survey,
    capture: Any,
    email: str,
    name: str,
    complaint: str,
    owner: Any,
    phone: str = "+1 202 555 0199",
) -> Story:
    """A detractor answers, is called, emailed, and told what was done; every email is recorded."""
    contact = make_contact(
        email=email, name=name, external_id=f"crm-{name.split()[-1].lower()}", attributes={"phone": phone}
    )
    invitation = make_invitation(survey=survey, contact=contact)
    InvitationEmail.objects.create(
        invitation=invitation,
        sequence=0,
        status=InvitationEmail.Status.SENT,
        due_at=timezone.now(),
        sent_at=timezone.now(),
        last_error=f"452 4.2.2 <{email}> mailbox full",
    )
    Invitation.objects.filter(pk=invitation.pk).update(status=Invitation.Status.SENT, sent_at=timezone.now())
    client, path = Client(), f"/s/{invitation.token}/"
    with capture(execute=True):
        client.get(path)
        client.post(path, {"page": "1", "q_nps": "2"})
        client.post(path, {"page": "2", "q_disappointed": complaint})
        client.post(path, {"page": "3", "q_may_contact": "yes"})
    response = SurveyResponse.objects.get(invitation=invitation)
    follow_up = FollowUp.objects.get(response=response)
    first = name.split()[0]
    with capture(execute=True):
        loop.follow_up_log(follow_up=follow_up, by=owner, kind="call", text=f"Called {first} on {phone}")
        loop.follow_up_email_customer(
            follow_up=follow_up, by=owner, subject=f"Your invoice, {first}", message=f"Dear {first}, we are on it."
        )
        loop.follow_up_resolve(
            follow_up=follow_up,
            by=owner,
            root_cause=RootCause.objects.get(name="Billing error"),
            note=f"Refunded {first}'s invoice",
            shared_note=f"We refunded your invoice, {first}.",
            tell_customer=True,
        )
    return Story(contact, invitation, invitation.token, response, FollowUp.objects.get(pk=follow_up.pk))


@pytest.fixture
def chief(db: Any) -> Any:
    return User.objects.create_superuser("chief", "chief@corp.example", "a-long-password-1")


@pytest.fixture
def survey(db: Any) -> Survey:
    return make_survey()


CUSTOMERS = {
    "ada": {
        "email": "Ada.Lovelace@example.org",
        "name": "Ada Lovelace",
        "complaint": "The invoice was wrong again, Ada Lovelace here, and nobody called me back.",
        "phone": "+44 20 7946 0815",
    },
    "grace": {
        "email": "grace@example.net",
        "name": "Grace Hopper",
        "complaint": "The invoice was wrong and support never answered my calls.",
    },
}


@pytest.fixture
def ada(survey: Survey, chief: Any, django_capture_on_commit_callbacks: Any) -> Story:
    return live_story(survey=survey, capture=django_capture_on_commit_callbacks, owner=chief, **CUSTOMERS["ada"])


@pytest.fixture
def grace(survey: Survey, chief: Any, django_capture_on_commit_callbacks: Any) -> Story:
    return live_story(survey=survey, capture=django_capture_on_commit_callbacks, owner=chief, **CUSTOMERS["grace"])


@pytest.fixture
def digest(ada: Story, grace: Story) -> DigestDelivery:
    """Today's stored digest, which quotes both customers."""
    today = timezone.localdate()
    subscription = DigestSubscription.objects.create(email="designer@corp.example", cadence="daily")
    content = digest_content(filters=DigestFilters(), start=today, end=today + timedelta(days=1))
    return DigestDelivery.objects.create(
        subscription=subscription,
        period_start=today,
        period_end=today + timedelta(days=1),
        status=DigestDelivery.Status.SENT,
        content=content,
    )


@pytest.fixture
def contact_file(ada: Story, grace: Story) -> ContactImport:
    """A finished CSV import that had both customers in it."""
    content = (
        b"email,name,plan\r\n"
        b"ada.lovelace@example.org,Ada Lovelace,gold\r\n"
        b"grace@example.net,Grace Hopper,silver\r\n"
        b"ADA.LOVELACE@EXAMPLE.ORG,Ada L.,gold\r\n"
    )
    return ContactImport.objects.create(
        file_name="crm.csv",
        content=content,
        status=ContactImport.Status.DONE,
        total_rows=3,
        processed_rows=3,
        errors=[{"row": 4, "email": "ADA.LOVELACE@EXAMPLE.ORG", "error": "Duplicate address in the file."}],
    )


TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)


def stored_mentions(*needles: str) -> list[str]:
    """Every model field, anywhere in the project's tables, that holds one of these strings."""
    found = []
    for model in project_models():
        for model_field in model._meta.concrete_fields:
            for needle in needles:
                if isinstance(model_field, TEXT_FIELDS):
                    hits = model.objects.filter(**{f"{model_field.name}__icontains": needle}).count()
                elif isinstance(model_field, models.BinaryField):
                    values = model.objects.values_list(model_field.name, flat=True)
                    hits = sum(needle.lower().encode() in bytes(value).lower() for value in values)
                else:
                    continue
                if hits:
                    found.append(f"{model._meta.label}.{model_field.name} ({needle})")
    return found


def figures(survey: Survey) -> dict[str, Any]:
    """Every number the dashboard and digests show for the survey, from the rollups and live."""
    rollups.rollups_rebuild(survey_id=survey.pk)
    on_rollups = metrics.MetricFilters(survey_id=survey.pk)
    live = metrics.MetricFilters(survey_id=survey.pk, live=True)
    today = timezone.localdate()
    digest = digest_content(filters=DigestFilters(), start=today, end=today + timedelta(days=1))
    for theme in digest["themes"]:
        theme.pop("quotes")
    return {
        "periods": metrics.metrics_by_period(filters=on_rollups),
        "periods_live": metrics.metrics_by_period(filters=live),
        "themes": metrics.top_detractor_themes(filters=on_rollups),
        "funnel": metrics.funnel(filters=on_rollups),
        "loop": loop_metrics(filters=on_rollups),
        "loop_live": loop_metrics(filters=live),
        "digest": digest,
    }
