"""The registry of personal data covers every model of the project, and says only true things."""

import pytest
from django.conf import settings
from django.db import models
from django.test.utils import isolate_apps

from vocsite.privacy.registry import DataClass, Erase, looks_personal, policies, policy_for, project_models

pytestmark = pytest.mark.django_db


def declared_fields(model: type[models.Model]) -> list[models.Field]:
    return [*model._meta.concrete_fields, *model._meta.many_to_many]


def unregistered_personal_fields(candidates: list[type[models.Model]]) -> list[str]:
    """Fields that look personal and that the registry neither describes nor declares harmless."""
    missing = []
    for model in candidates:
        policy = policy_for(model)
        for model_field in declared_fields(model):
            if not looks_personal(model_field):
                continue
            if policy is None or (
                policy.personal_field(model_field.name) is None and model_field.name not in policy.not_personal
            ):
                missing.append(f"{model._meta.label}.{model_field.name}")
    return missing


def test_every_field_of_the_project_that_looks_personal_is_described_in_the_registry() -> None:
    assert {model._meta.app_label for model in project_models()} >= {"surveys", "feedback"}

    assert unregistered_personal_fields(project_models()) == []


@isolate_apps("surveys")
def test_a_model_that_gains_a_personal_field_fails_until_it_is_registered() -> None:
    class CallbackRequest(models.Model):
        contact = models.ForeignKey("surveys.Contact", on_delete=models.CASCADE)
        phone_number = models.CharField(max_length=30)
        message = models.TextField()
        extra = models.JSONField(default=dict)
        requested_at = models.DateTimeField()

        class Meta:
            app_label = "surveys"

        def __str__(self) -> str:
            return self.phone_number

    assert unregistered_personal_fields([CallbackRequest]) == [
        "surveys.CallbackRequest.contact",
        "surveys.CallbackRequest.phone_number",
        "surveys.CallbackRequest.message",
        "surveys.CallbackRequest.extra",
    ]


def test_every_registered_field_exists_and_is_either_personal_or_not() -> None:
    for policy in policies():
        names = {model_field.name for model_field in declared_fields(policy.model)}
        personal = {entry.name for entry in policy.personal}

        assert personal <= names, policy.label
        assert set(policy.not_personal) <= names, policy.label
        assert not personal & set(policy.not_personal), policy.label
        assert all(reason.strip() for reason in policy.not_personal.values()), policy.label


def test_every_path_to_a_contact_and_every_export_lookup_runs() -> None:
    linked = [policy for policy in policies() if policy.contact_path]

    for policy in linked:
        rows = policy.model.objects.filter(**{policy.contact_path: 1})
        list(rows.values("pk", *policy.export_related))

    assert {policy.label for policy in linked} == {
        "surveys.Contact",
        "surveys.Invitation",
        "surveys.InvitationEmail",
        "feedback.SurveyResponse",
        "feedback.Answer",
        "feedback.AnswerTheme",
        "feedback.FollowUp",
        "feedback.FollowUpEvent",
        "feedback.FollowUpNotification",
        "feedback.HealthScore",
        "feedback.HealthHistory",
        "feedback.WebhookMessage",
    }


def test_every_retention_window_names_a_data_class_and_every_aged_field_has_an_age() -> None:
    assert set(settings.RETENTION_DAYS) <= {data_class.value for data_class in DataClass}

    for policy in policies():
        aged = [entry for entry in policy.personal if entry.data_class in settings.RETENTION_DAYS]
        field_updates = [entry for entry in aged if entry.erase in (Erase.BLANK, Erase.REDACT, Erase.NULL)]
        if field_updates:
            assert policy.age_field, policy.label


# The audit log records where staff acted from (who did what, from where); respondents never.
STAFF_AUDIT = {"surveys.AuditEvent.ip_address"}


def test_nothing_stores_network_metadata_such_as_ip_addresses_or_user_agents() -> None:
    suspicious = [
        f"{model._meta.label}.{model_field.name}"
        for model in project_models()
        for model_field in model._meta.concrete_fields
        if isinstance(model_field, models.GenericIPAddressField)
        or any(word in model_field.name for word in ("ip_address", "remote_addr", "user_agent", "forwarded"))
    ]

    assert [field for field in suspicious if field not in STAFF_AUDIT] == []
