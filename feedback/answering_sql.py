"""The statements behind a survey submission, written by hand.

Submitting is the one request every respondent makes, and through the ORM it spent more CPU
building queries than PostgreSQL spent running them (bench/submit.py). So a page is read in one
statement (the invitation with its survey, contact, response and the version's questions) and
written in one (response, answers and the invitation's answered time). Column lists come from
the models (vocsite.rows), so a new field needs no change here.
"""

# ruff: noqa: S608 - table and column names in these f-strings come from the models; every value is a parameter.

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from django.db import connection

from feedback.models import Answer, SurveyResponse
from surveys.models import Contact, Invitation, Question, Survey
from vocsite.rows import column_count, column_list, default_columns, instance_from_row


@dataclass(frozen=True)
class InvitationWithQuestions:
    invitation: Invitation
    response: SurveyResponse | None
    questions: list[Question]


@dataclass(frozen=True)
class AnswerValues:
    """The columns of one answer a page sets; the tagging columns keep their defaults."""

    question_id: int
    number: int | None
    text: str
    choices: list[str]


@cache
def _invitation_sql() -> str:
    # The questions are those of the version the response started on, else the survey's current one.
    return f"""
        SELECT {column_list(Invitation, "i")}, {column_list(Survey, "s")}, {column_list(Contact, "c")},
               {column_list(SurveyResponse, "r")}, {column_list(Question, "q")}
        FROM {Invitation._meta.db_table} i
        JOIN {Survey._meta.db_table} s ON s.id = i.survey_id
        LEFT JOIN {Contact._meta.db_table} c ON c.id = i.contact_id
        LEFT JOIN {SurveyResponse._meta.db_table} r ON r.invitation_id = i.id
        LEFT JOIN {Question._meta.db_table} q
            ON q.survey_id = i.survey_id AND q.version = COALESCE(r.survey_version, s.version)
        WHERE i.token = %s
        ORDER BY q.page, q.position, q.id
    """


def invitation_with_questions(*, token: str) -> InvitationWithQuestions | None:
    """The invitation of a token with its survey, contact, response and questions; None if unknown."""
    with connection.cursor() as cursor:
        cursor.execute(_invitation_sql(), [token])
        rows = cursor.fetchall()
    if not rows:
        return None
    invitation, survey, contact, response, question_start = _split_related(rows[0])
    Invitation.survey.field.set_cached_value(invitation, survey)
    Invitation.contact.field.set_cached_value(invitation, contact)
    Invitation.response.related.set_cached_value(invitation, response)
    if response is not None:
        SurveyResponse.invitation.field.set_cached_value(response, invitation)
    # No question row (an outer join that found none) is a survey version without questions.
    questions = [instance_from_row(Question, row[question_start:]) for row in rows if row[question_start] is not None]
    for question in questions:
        Question.survey.field.set_cached_value(question, survey)
    return InvitationWithQuestions(invitation, response, questions)


def _split_related(row: Sequence) -> tuple:
    """The invitation, survey, contact and response of the first row, and where the question columns start."""
    instances, start = [], 0
    for model in (Invitation, Survey, Contact, SurveyResponse):
        end = start + column_count(model)
        values = row[start:end]
        instances.append(instance_from_row(model, values) if values[0] is not None else None)
        start = end
    return (*instances, start)


def response_save_page_rows(
    *,
    invitation: Invitation,
    survey_version: int,
    language: str,
    page: int,
    score: int | None,
    completed_at: datetime | None,
    now: datetime,
    answers: list[AnswerValues],
) -> int | None:
    """Create or advance the invitation's response and upsert the page's answers in one statement.

    Returns the response id, or None when the response was already completed: then nothing is
    written at all. Safe under concurrent submits: the unique invitation makes a second writer
    wait for the first and then find the row, and the WHERE clause leaves a completed response
    (and so, through `saved`, its answers and the invitation) untouched.
    """
    response_table = SurveyResponse._meta.db_table
    status = SurveyResponse.Status.COMPLETED if completed_at else SurveyResponse.Status.IN_PROGRESS
    given = [
        "invitation_id",
        "survey_id",
        "survey_version",
        "contact_id",
        "language",
        "status",
        "current_page",
        "score",
        "started_at",
        "updated_at",
        "completed_at",
    ]
    other_names, other_placeholders, other_values = default_columns(SurveyResponse, given=given)
    names = ", ".join([*given, *other_names])
    placeholders = ", ".join(["%s"] * len(given) + other_placeholders)
    upsert = f"""
            INSERT INTO {response_table} ({names}) VALUES ({placeholders})
            ON CONFLICT (invitation_id) DO UPDATE SET
                status = excluded.status,
                current_page = excluded.current_page,
                score = COALESCE(excluded.score, {response_table}.score),
                language = excluded.language,
                updated_at = excluded.updated_at,
                completed_at = excluded.completed_at
            WHERE {response_table}.status = %s
            RETURNING id
    """
    params = [
        invitation.pk,
        invitation.survey_id,
        survey_version,
        invitation.contact_id,
        language,
        status,
        page,
        score,
        now,
        now,
        completed_at,
        *other_values,
        SurveyResponse.Status.IN_PROGRESS,
    ]
    if connection.vendor != "postgresql":
        return _save_one_by_one(
            upsert, params, invitation=invitation, completed_at=completed_at, answers=answers, now=now
        )
    ctes = [f"saved AS ({upsert})"]
    if answers:
        answers_sql, answers_params = _answers_cte(answers, now=now)
        ctes.append(answers_sql)
        params += answers_params
    if completed_at is not None:
        ctes.append(
            f"""answered AS (
                UPDATE {Invitation._meta.db_table} SET responded_at = %s
                WHERE id = %s AND responded_at IS NULL AND EXISTS (SELECT 1 FROM saved)
            )"""
        )
        params += [completed_at, invitation.pk]
    sql = f"WITH {', '.join(ctes)} SELECT id FROM saved"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None


def _save_one_by_one(
    upsert: str,
    upsert_params: list,
    *,
    invitation: Invitation,
    completed_at: datetime | None,
    answers: list[AnswerValues],
    now: datetime,
) -> int | None:
    """The same writes as separate statements, for the embedded SQLite (no writes inside WITH)."""
    with connection.cursor() as cursor:
        cursor.execute(upsert, upsert_params)
        row = cursor.fetchone()
    if row is None:
        return None
    Answer.objects.bulk_create(
        [
            Answer(
                response_id=row[0],
                question_id=a.question_id,
                number=a.number,
                text=a.text,
                choices=a.choices,
                answered_at=now,
            )
            for a in answers
        ],
        update_conflicts=True,
        unique_fields=["response", "question"],
        update_fields=["number", "text", "choices", "answered_at"],
    )
    if completed_at is not None:
        Invitation.objects.filter(pk=invitation.pk, responded_at__isnull=True).update(responded_at=completed_at)
    return row[0]


def _answers_cte(answers: list[AnswerValues], *, now: datetime) -> tuple[str, list]:
    given = ["response_id", "question_id", "number", "text", "choices", "answered_at"]
    other_names, other_placeholders, other_values = default_columns(Answer, given=given)
    rows = ", ".join(["(%s::bigint, %s::smallint, %s::text, %s::jsonb)"] * len(answers))
    sql = f"""page_answers AS (
        INSERT INTO {Answer._meta.db_table} ({", ".join([*given, *other_names])})
        SELECT saved.id, v.question_id, v.number, v.text, v.choices, %s, {", ".join(other_placeholders)}
        FROM saved CROSS JOIN (VALUES {rows}) AS v (question_id, number, text, choices)
        ON CONFLICT (response_id, question_id) DO UPDATE SET
            number = excluded.number,
            text = excluded.text,
            choices = excluded.choices,
            answered_at = excluded.answered_at
    )"""
    params: list = [now, *other_values]
    for answer in answers:
        params += [answer.question_id, answer.number, answer.text, json.dumps(answer.choices)]
    return sql, params
