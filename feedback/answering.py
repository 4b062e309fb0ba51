"""Answering a survey: the reads and writes behind the public pages (and their API twin).

A page of answers is saved in one transaction of two statements (feedback.answering_sql): one
reads the invitation with its survey, contact, response and the version's questions; one upserts
the response and the page's answers and marks the invitation answered when the survey is
finished. Resuming a started response reads its saved answers too.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from feedback import answering_sql
from feedback.models import Answer, SurveyResponse
from feedback.webhooks import events as webhook_events
from surveys import rules
from surveys.models import Invitation, Question, Survey
from surveys.services import invitation_create_anonymous
from vocsite.queueing import enqueue_after_commit

FIELD_PREFIX = "q_"


class LinkNotFound(Exception):
    """No invitation or survey matches the token."""


class SurveyNotOpen(Exception):
    """The survey exists but does not accept answers (draft or closed)."""


@dataclass
class PageInvalid(Exception):
    """The submitted page cannot be saved; errors are keyed by question key ("" for the form)."""

    errors: dict[str, rules.AnswerError]
    submitted: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class AnsweringState:
    """Everything a public page needs to show where a respondent is."""

    invitation: Invitation
    survey: Survey
    questions: list[Question]
    answers: dict[str, rules.AnswerValue]
    response: SurveyResponse | None

    @property
    def completed(self) -> bool:
        return self.response is not None and self.response.is_completed()

    def pages(self) -> list[int]:
        return rules.visible_pages(self.questions, self.answers)

    def resume_page(self) -> int:
        """The furthest page the respondent may be on: their saved page, else the first."""
        pages = self.pages() or [1]
        if self.response is None:
            return pages[0]
        reachable = [page for page in pages if page <= self.response.current_page]
        return reachable[-1] if reachable else pages[0]

    def questions_on(self, page: int) -> list[Question]:
        return [q for q in self.questions if q.page == page and rules.is_shown(q, self.answers)]

    def next_page_after(self, page: int, answers: Mapping[str, rules.AnswerValue]) -> int | None:
        later = [p for p in rules.visible_pages(self.questions, answers) if p > page]
        return later[0] if later else None

    def previous_page_before(self, page: int) -> int | None:
        earlier = [p for p in self.pages() if p < page]
        return earlier[-1] if earlier else None


@dataclass(frozen=True)
class PageSaved:
    response_id: int | None
    completed: bool
    next_page: int | None
    language: str


def language_for(state: AnsweringState, *, chosen: str | None, browser: str) -> str:
    """The respondent's language: an explicit choice, then the response's, the contact's, the browser's."""
    if chosen:
        return chosen
    if state.response is not None:
        return state.response.language
    if state.invitation.contact is not None:
        return state.invitation.contact.language
    return browser


def answering_state_for_token(*, token: str) -> AnsweringState:
    """Load an invitation by its token with its survey, questions and saved answers."""
    found = answering_sql.invitation_with_questions(token=token)
    if found is None:
        raise LinkNotFound
    return _state_for(found.invitation, questions=found.questions)


def answering_state_for_anonymous(*, survey_token: str) -> AnsweringState:
    """The state of a fresh anonymous respondent: an unsaved invitation to the live survey."""
    try:
        survey = Survey.objects.get(anonymous_token=survey_token, anonymous_link_enabled=True)
    except Survey.DoesNotExist:
        raise LinkNotFound from None
    invitation = Invitation(survey=survey, kind=Invitation.Kind.ANONYMOUS, token="")
    return _state_for(invitation)


def answering_state_for_preview(*, survey: Survey) -> AnsweringState:
    """What a respondent would see of the survey's current version; nothing is saved."""
    return _state_for(Invitation(survey=survey, kind=Invitation.Kind.ANONYMOUS, token=""))


def _state_for(invitation: Invitation, *, questions: list[Question] | None = None) -> AnsweringState:
    response = getattr(invitation, "response", None) if invitation.pk else None
    if questions is None:
        version = response.survey_version if response else invitation.survey.version
        questions = list(Question.objects.of_version(survey_id=invitation.survey_id, version=version))
    answers: dict[str, rules.AnswerValue] = {}
    if response is not None:
        by_id = {question.pk: question for question in questions}
        for answer in Answer.objects.filter(response=response):
            answer.question = by_id[answer.question_id]
            if answer.value is not None:
                answers[answer.question.key] = answer.value
    return AnsweringState(invitation, invitation.survey, questions, answers, response)


def invitation_mark_opened(*, invitation: Invitation) -> None:
    """Record the first visit of a link; a conditional update, so only the first one counts."""
    if invitation.pk and invitation.opened_at is None:
        Invitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(opened_at=timezone.now())


@transaction.atomic
def response_save_page(
    *, token: str, page: int, data: Mapping[str, Sequence[str]], language: str | None, browser_language: str = "en"
) -> PageSaved:
    """Validate and save one page of answers; finishing the last page completes the response.

    Idempotent per invitation: a completed response is never changed, whoever submits again.
    """
    state = answering_state_for_token(token=token)
    language = language_for(state, chosen=language, browser=browser_language)
    return _save_page(state, page=page, data=data, language=language)


@transaction.atomic
def response_save_anonymous_page(
    *, survey_token: str, data: Mapping[str, Sequence[str]], language: str
) -> tuple[str, PageSaved]:
    """Save the first page of an anonymous respondent, creating their own invitation.

    Returns the new invitation's token, which carries the respondent through the later pages.
    Nothing is created when the page is invalid.
    """
    state = answering_state_for_anonymous(survey_token=survey_token)
    first_page = state.resume_page()
    state = AnsweringState(invitation_create_anonymous(survey=state.survey), state.survey, state.questions, {}, None)
    return state.invitation.token, _save_page(state, page=first_page, data=data, language=language)


def _save_page(state: AnsweringState, *, page: int, data: Mapping[str, Sequence[str]], language: str) -> PageSaved:
    if not state.survey.accepts_answers():
        raise SurveyNotOpen
    if state.completed:
        return PageSaved(state.response.pk if state.response else None, True, None, language)
    if page not in state.pages() or page > state.resume_page():
        raise PageInvalid({"": rules.AnswerError("wrong_page")})

    page_questions = state.questions_on(page)
    page_values = _parse_page(page_questions, data)
    answers = {**state.answers, **{key: value for key, value in page_values.items() if value is not None}}
    for key, value in page_values.items():
        if value is None:
            answers.pop(key, None)
    next_page = state.next_page_after(page, answers)
    now = timezone.now()
    score = _first_score(state.questions, answers)

    by_key = {question.key: question for question in page_questions}
    response_id = answering_sql.response_save_page_rows(
        invitation=state.invitation,
        survey_version=state.response.survey_version if state.response else state.survey.version,
        language=language,
        page=next_page or page,
        score=score,
        completed_at=None if next_page else now,
        now=now,
        answers=[_answer_values(by_key[key], value) for key, value in page_values.items() if value is not None],
    )
    if response_id is None:
        # Another submission completed it first (a second tab, a double click).
        return PageSaved(None, True, None, language)
    if state.response is not None:
        _forget_answers_no_longer_shown(response_id, state.questions, answers, page_values)
    if next_page is None:
        _after_completion(response_id)
        webhook_events.response_completed(
            survey=state.survey,
            contact=state.invitation.contact,
            response_id=response_id,
            language=language,
            score=score,
            completed_at=now,
            questions=state.questions,
            answers=answers,
        )
    return PageSaved(response_id, next_page is None, next_page, language)


def _after_completion(response_id: int) -> None:
    """Once the transaction commits, a worker tags the free text and routes the response."""
    from feedback.tasks import response_completed  # late: the tasks load the analysers, pages need not

    enqueue_after_commit(response_completed, response_id)


def _parse_page(questions: list[Question], data: Mapping[str, Sequence[str]]) -> dict[str, rules.AnswerValue | None]:
    allowed = {FIELD_PREFIX + question.key for question in questions}
    unknown = [name for name in data if name.startswith(FIELD_PREFIX) and name not in allowed]
    errors: dict[str, rules.AnswerError] = {}
    if unknown:
        errors[""] = rules.AnswerError("unknown_question")
    values: dict[str, rules.AnswerValue | None] = {}
    for question in questions:
        raw = list(data.get(FIELD_PREFIX + question.key, []))
        try:
            values[question.key] = rules.parse_answer(question, raw, text_max_length=settings.ANSWER_TEXT_MAX_LENGTH)
        except rules.AnswerError as error:
            errors[question.key] = error
    if errors:
        submitted = {question.key: list(data.get(FIELD_PREFIX + question.key, [])) for question in questions}
        raise PageInvalid(errors, submitted)
    return values


def _first_score(questions: list[Question], answers: Mapping[str, rules.AnswerValue]) -> int | None:
    for question in questions:
        value = answers.get(question.key)
        if question.is_scored() and isinstance(value, int):
            return value
    return None


def _answer_values(question: Question, value: rules.AnswerValue) -> answering_sql.AnswerValues:
    if isinstance(value, int):
        return answering_sql.AnswerValues(question.pk, value, "", [])
    if isinstance(value, list):
        return answering_sql.AnswerValues(question.pk, None, "", value)
    if question.kind == Question.Kind.SINGLE_CHOICE:
        return answering_sql.AnswerValues(question.pk, None, "", [value])
    return answering_sql.AnswerValues(question.pk, None, value, [])


def _forget_answers_no_longer_shown(
    response_id: int,
    questions: list[Question],
    answers: Mapping[str, rules.AnswerValue],
    page_values: Mapping[str, rules.AnswerValue | None],
) -> None:
    """Drop answers cleared on this page or to questions a changed branch now hides."""
    stale = [
        question.pk
        for question in questions
        if (question.key in page_values and page_values[question.key] is None) or not rules.is_shown(question, answers)
    ]
    if stale:
        Answer.objects.filter(response_id=response_id, question_id__in=stale).delete()
