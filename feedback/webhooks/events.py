"""What each webhook event says: ids and the fields a receiver needs, personal data kept apart.

Each function is called inside the transaction of the change it reports and records the event
for the subscriptions of the owning team (feedback.webhooks.outbox). The customer's name and
address, what they wrote and staff's notes about them go in `personal`, which only
subscriptions that opted into personal data receive.
"""

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.db.models import Prefetch

from feedback.models import Answer, FollowUp, SurveyResponse, WebhookEvent
from feedback.webhooks.outbox import event_record, listening_teams, might_listen
from surveys import access
from surveys.models import Contact, Distribution, Question, Survey

NPS_CATEGORIES = ((range(0, 7), "detractor"), (range(7, 9), "passive"), (range(9, 11), "promoter"))
SCORED_KINDS = (Question.Kind.NPS, Question.Kind.CSAT, Question.Kind.CES, Question.Kind.STARS)
TEXT_KINDS = (Question.Kind.SHORT_TEXT, Question.Kind.LONG_TEXT)
CHOICE_KINDS = (Question.Kind.SINGLE_CHOICE, Question.Kind.MULTIPLE_CHOICE)


def nps_category(questions: Iterable[Question], scores: Mapping[str, Any]) -> str | None:
    """detractor / passive / promoter from the first NPS question answered, else None."""
    for question in questions:
        score = scores.get(question.key)
        if question.kind == Question.Kind.NPS and isinstance(score, int):
            return next(name for values, name in NPS_CATEGORIES if score in values)
    return None


def _contact(contact: Contact | None) -> dict[str, Any]:
    if contact is None:
        return {}
    return {"contact": {"id": contact.pk, "name": contact.name, "email": contact.email}}


def _team_survey(survey: Survey) -> dict[str, Any]:
    return {"team": {"id": survey.team_id}, "survey": {"id": survey.pk, "name": survey.name}}


def response_completed(
    *,
    survey: Survey,
    contact: Contact | None,
    response_id: int,
    language: str,
    score: int | None,
    completed_at: datetime,
    questions: list[Question],
    answers: Mapping[str, Any],
) -> None:
    """A customer finished a survey: scores and choices for all, what they wrote for opted-in receivers.

    Built from what the submission already holds, so it costs at most the one INSERT (none when
    the team has no subscription to it).
    """
    if survey.team_id is None or not might_listen(team_id=survey.team_id, event=WebhookEvent.RESPONSE_COMPLETED):
        return
    kinds = {question.key: question.kind for question in questions}
    data = {
        **_team_survey(survey),
        "response": {
            "id": response_id,
            "language": language,
            "score": score,
            "nps_category": nps_category(questions, answers),
            "completed_at": completed_at,
            "scores": {key: value for key, value in answers.items() if kinds.get(key) in SCORED_KINDS},
            "choices": {
                key: list(value) if isinstance(value, list | tuple) else [value]
                for key, value in answers.items()
                if kinds.get(key) in CHOICE_KINDS
            },
        },
    }
    texts = {key: value for key, value in answers.items() if kinds.get(key) in TEXT_KINDS}
    personal = {**_contact(contact), "answers": texts}
    event_record(
        team_id=survey.team_id,
        event=WebhookEvent.RESPONSE_COMPLETED,
        data=data,
        personal=personal,
        contact_id=contact.pk if contact else None,
        at=completed_at,
    )


def responses_tagged(*, response_ids: Iterable[int]) -> None:
    """Free text was analysed: sentiment and themes of each answer, the text itself for opted-in receivers."""
    if listening_teams(event=WebhookEvent.RESPONSE_TAGGED) == frozenset():
        return  # nobody listens anywhere: not even a query
    responses = (
        SurveyResponse.objects.filter(pk__in=list(response_ids))
        .select_related("survey", "contact")
        .prefetch_related(
            Prefetch("answers", queryset=Answer.objects.free_text().select_related("question").order_by("pk")),
            "answers__themes",
        )
    )
    for response in responses:
        survey = response.survey
        if survey.team_id is None or not might_listen(team_id=survey.team_id, event=WebhookEvent.RESPONSE_TAGGED):
            continue
        answers = list(response.answers.all())
        data = {
            **_team_survey(survey),
            "response": {"id": response.pk, "language": response.language, "score": response.score},
            "answers": [_tagged_answer(answer) for answer in answers],
        }
        personal = {**_contact(response.contact), "texts": {answer.question.key: answer.text for answer in answers}}
        event_record(
            team_id=survey.team_id,
            event=WebhookEvent.RESPONSE_TAGGED,
            data=data,
            personal=personal,
            contact_id=response.contact_id,
        )


def _tagged_answer(answer: Answer) -> dict[str, Any]:
    return {
        "id": answer.pk,
        "question": answer.question.key,
        "language": answer.text_language,
        "sentiment": answer.sentiment,
        "polarity": answer.polarity,
        "themes": sorted(theme.name for theme in answer.themes.all()),
    }


def follow_up_changed(*, follow_up: FollowUp, event: WebhookEvent) -> None:
    """A follow-up was created, escalated or resolved: its state, and staff's notes for opted-in receivers."""
    team_id = access.team_of(follow_up)  # its survey's team, or its account's for a proactive one
    if team_id is None or not might_listen(team_id=team_id, event=event):
        return
    data = {
        "team": {"id": team_id},
        "follow_up": {
            "id": follow_up.pk,
            "status": follow_up.status,
            "priority": follow_up.priority,
            "owner_id": follow_up.owner_id,
            "response_id": follow_up.response_id,
            "survey_id": follow_up.survey_id,
            "account_id": follow_up.account_id,
            "due_at": follow_up.due_at,
            "escalation_level": follow_up.escalation_level,
            "root_cause": follow_up.root_cause.name if follow_up.root_cause_id else None,
            "created_at": follow_up.created_at,
            "resolved_at": follow_up.resolved_at,
        },
    }
    personal = {**_contact(follow_up.contact), "resolution_note": follow_up.resolution_note}
    event_record(
        team_id=team_id,
        event=event,
        data=data,
        personal=personal,
        contact_id=follow_up.contact_id,
    )


def distribution_finished(*, distribution: Distribution, figures: dict[str, Any]) -> None:
    """A distribution sent everything it will send: its figures (no customer in them)."""
    survey = distribution.survey
    data = {
        **_team_survey(survey),
        "distribution": {
            "id": distribution.pk,
            "name": distribution.name,
            "finished_at": distribution.finished_at,
            "figures": figures,
        },
    }
    event_record(team_id=survey.team_id, event=WebhookEvent.DISTRIBUTION_FINISHED, data=data)
