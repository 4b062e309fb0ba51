"""Writes of survey design: templates, versions, publishing, duplicating, invitations."""

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from surveys import catalog, rules
from surveys.models import Contact, Invitation, Question, Survey, Team

QUESTION_FIELDS = [
    "key",
    "page",
    "position",
    "kind",
    "text_en",
    "text_zh",
    "help_en",
    "help_zh",
    "required",
    "choices",
    "show_if_key",
    "show_if_min",
    "show_if_max",
    "show_if_values",
]
SURVEY_CONTENT_FIELDS = ["title_en", "title_zh", "intro_en", "intro_zh", "thank_you_en", "thank_you_zh"]

DESIGN_PROBLEM_MESSAGES = {
    "duplicate_key": _("Two questions use this key; each key must be unique within the survey."),
    "needs_choices": _("A choice question needs at least two choices."),
    "duplicate_choice": _("Two choices share a value."),
    "unknown_condition_question": _("The condition refers to a question key that does not exist."),
    "condition_not_on_earlier_page": _("A condition can only refer to a question on an earlier page."),
    "condition_needs_range": _("A condition on a score needs a minimum or a maximum."),
    "condition_unknown_choice": _("The condition refers to a choice the question does not offer."),
    "condition_range_reversed": _("The condition's minimum is above its maximum."),
}


def question_set_validate(questions: Iterable[Any]) -> None:
    """Raise a ValidationError naming each question whose design is inconsistent."""
    problems = rules.question_set_problems(questions)
    if problems:
        raise ValidationError({key: DESIGN_PROBLEM_MESSAGES[code] for key, code in problems.items()})


def survey_version_has_answers(*, survey: Survey, version: int | None = None) -> bool:
    """Whether anyone answered this version; its questions are then frozen."""
    return Question.objects.filter(
        survey=survey, version=survey.version if version is None else version, answers__isnull=False
    ).exists()


@transaction.atomic
def survey_create(
    *,
    name: str,
    content: dict[str, Any],
    questions: list[dict[str, Any]],
    by: AbstractBaseUser | None = None,
    team: Team | None = None,
) -> Survey:
    """Create a draft survey of a team (None: administrators only) with its first version of questions."""
    survey = Survey.objects.create(name=name, created_by=by, team=team, **content)
    _questions_create(survey=survey, version=1, questions=questions)
    return survey


def survey_create_from_template(
    *, template: str, name: str = "", by: AbstractBaseUser | None = None, team: Team | None = None
) -> Survey:
    """Create a draft survey from one of the one-click templates (nps, csat, ces, enps)."""
    try:
        spec = catalog.TEMPLATES[template]
    except KeyError:
        raise ValidationError({"template": _("Unknown template.")}) from None
    content = {key: spec[key] for key in SURVEY_CONTENT_FIELDS}
    content["anonymous_link_enabled"] = spec.get("anonymous_link_enabled", False)
    questions = [{"position": index, **question} for index, question in enumerate(spec["questions"])]
    return survey_create(name=name or spec["label"], content=content, questions=questions, by=by, team=team)


@transaction.atomic
def survey_duplicate(*, survey: Survey, by: AbstractBaseUser | None = None) -> Survey:
    """Copy a survey's content and current questions into a new draft of the same team."""
    content = {key: getattr(survey, key) for key in SURVEY_CONTENT_FIELDS}
    content["anonymous_link_enabled"] = survey.anonymous_link_enabled
    content["touchpoint_id"] = survey.touchpoint_id
    questions = [{key: getattr(q, key) for key in QUESTION_FIELDS} for q in survey.current_questions()]
    return survey_create(
        name=str(_("Copy of %(name)s") % {"name": survey.name}),
        content=content,
        questions=questions,
        by=by,
        team=survey.team,
    )


@transaction.atomic
def survey_update(
    *, survey: Survey, name: str | None = None, content: dict[str, Any], questions: list[dict[str, Any]] | None = None
) -> Survey:
    """Change a survey's texts and, when given, its questions (a new version if answered)."""
    if name is not None:
        survey.name = name
    for field, value in content.items():
        setattr(survey, field, value)
    survey.save(update_fields=["name", *content, "updated_at"])
    if questions is not None:
        survey_questions_replace(survey=survey, questions=questions)
        survey.refresh_from_db()
    return survey


@transaction.atomic
def survey_questions_replace(*, survey: Survey, questions: list[dict[str, Any]]) -> Survey:
    """Replace the current questions; when the version has answers, start a new version instead."""
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    question_set_validate([Question(survey=survey, **question) for question in questions])
    if survey_version_has_answers(survey=survey):
        survey.version += 1
        Survey.objects.filter(pk=survey.pk).update(version=survey.version)
    else:
        Question.objects.filter(survey=survey, version=survey.version).delete()
    _questions_create(survey=survey, version=survey.version, questions=questions)
    return survey


@transaction.atomic
def survey_version_fork(*, survey: Survey) -> dict[int, Question]:
    """Copy the current version's questions into a new version; returns old pk -> new copy.

    The old rows stay as they are, so every answer keeps pointing to the text it answered.
    """
    locked = Survey.objects.select_for_update().get(pk=survey.pk)
    current = list(locked.current_questions())
    copies = [
        Question(survey=locked, version=locked.version + 1, **{k: getattr(q, k) for k in QUESTION_FIELDS})
        for q in current
    ]
    Question.objects.bulk_create(copies)
    Survey.objects.filter(pk=locked.pk).update(version=F("version") + 1)
    survey.version = locked.version + 1
    return {old.pk: new for old, new in zip(current, copies, strict=True)}


def _questions_create(*, survey: Survey, version: int, questions: list[dict[str, Any]]) -> None:
    rows = [Question(survey=survey, version=version, **question) for question in questions]
    question_set_validate(rows)
    Question.objects.bulk_create(rows)


def survey_publish(*, survey: Survey) -> Survey:
    """Open a draft or closed survey for answers."""
    if not survey.current_questions().exists():
        raise ValidationError(_("A survey needs at least one question before it can go live."))
    question_set_validate(survey.current_questions())
    _survey_change_status(survey, to=Survey.Status.LIVE, allowed_from=[Survey.Status.DRAFT, Survey.Status.CLOSED])
    return survey


def survey_close(*, survey: Survey) -> Survey:
    """Stop a live survey from accepting answers; links then show a friendly closed page."""
    _survey_change_status(survey, to=Survey.Status.CLOSED, allowed_from=[Survey.Status.LIVE])
    return survey


def _survey_change_status(survey: Survey, *, to: str, allowed_from: list[str]) -> None:
    updated = Survey.objects.filter(pk=survey.pk, status__in=allowed_from).update(status=to)
    if updated != 1:
        raise ValidationError(
            _("This survey is %(status)s and cannot become %(target)s.")
            % {"status": Survey.Status(survey.status).label, "target": Survey.Status(to).label}
        )
    survey.status = to


def invitation_create_personal(*, survey: Survey, contact: Contact) -> Invitation:
    """A personal link for one contact to one survey."""
    return Invitation.objects.create(survey=survey, contact=contact, kind=Invitation.Kind.PERSONAL)


def invitation_create_anonymous(*, survey: Survey) -> Invitation:
    """An invitation of its own for someone who arrived by the survey's anonymous link."""
    return Invitation.objects.create(survey=survey, kind=Invitation.Kind.ANONYMOUS)


def survey_delete(*, survey: Survey) -> None:
    """Delete a survey nobody has answered; one with answers must be closed instead."""
    if Question.objects.filter(survey=survey, answers__isnull=False).exists():
        raise ValidationError(_("This survey has responses and cannot be deleted. Close it instead."))
    survey.delete()
