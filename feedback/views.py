"""The public pages a customer answers on, and the staff preview of them.

No login and no session: the link is the credential. A request to a token URL (from an email,
or a survey's shared link) exchanges the token for a cookie and redirects to the link's own
path without it (surveys.links); the pages are served there. The views are exempt from CSRF:
the link cookie is SameSite=Lax, so another site's form cannot post with it, and a form posted
to a token URL already carries the credential. Every page works without JavaScript.
"""

from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, render
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from feedback import answering
from feedback.answering import AnsweringState, LinkNotFound, PageInvalid, SurveyNotOpen
from feedback.models import FollowUp
from surveys import access, rules
from surveys.links import (
    Link,
    LinkKind,
    link_cookie_set,
    link_from_cookie,
    link_invalid_response,
    link_redirect,
    private_page,
    too_many_failures_response,
)
from surveys.models import Language, Question, Survey, localized
from surveys.ratelimit import link_failures

SUPPORTED_LANGUAGES = {code for code, _label in Language.choices}


def error_message(error: rules.AnswerError) -> str:
    """The respondent-facing sentence for one answer error, in the active language."""
    messages = {
        "required": _("Please answer this question."),
        "not_a_number": _("Please choose a number."),
        "invalid_choice": _("Please choose one of the options shown."),
        "unknown_question": _(
            "This form contained answers to questions that are not on this page. "
            "Please check your answers and send them again."
        ),
        "wrong_page": _("That page is not available yet. Please continue from where you left off."),
    }
    if error.code == "out_of_range":
        low, high = error.params
        return _("Please choose a number from %(low)s to %(high)s.") % {"low": low, "high": high}
    return messages[error.code]


def chosen_language(request: HttpRequest) -> str | None:
    """A language the person picked on the page (the ?lang= switch or the form's field)."""
    requested = request.GET.get("lang") or request.POST.get("lang")
    return requested if requested in SUPPORTED_LANGUAGES else None


def browser_language(request: HttpRequest) -> str:
    browser = translation.get_language_from_request(request)
    return browser if browser in SUPPORTED_LANGUAGES else Language.ENGLISH


def respondent_language(request: HttpRequest, state: AnsweringState | None = None) -> str:
    """The page language: an explicit choice, then the response's, the contact's, the browser's."""
    if state is None:
        return chosen_language(request) or browser_language(request)
    return answering.language_for(state, chosen=chosen_language(request), browser=browser_language(request))


def _page_url(link: Link, page_name: str = "", *, language: str, page: int | None = None) -> str:
    query: dict[str, Any] = {"lang": language}
    if page is not None:
        query["page"] = page
    return f"{link.path}{page_name}?{urlencode(query)}"


def _int_param(params: QueryDict, name: str) -> int | None:
    try:
        return int(params.get(name, ""))
    except ValueError:
        return None


def _opens(state: AnsweringState) -> bool:
    """Whether a link leads anywhere: a finished response (its thanks and status), or an open survey."""
    return state.completed or state.survey.accepts_answers()


# --- token URLs: look the token up, exchange it for the link cookie, redirect -----------------


def _token_url(
    request: HttpRequest, link: Link, *, page: str = "", save: Callable[[HttpRequest, Link], HttpResponse] | None = None
) -> HttpResponse:
    """A token URL: a GET gets the link's cookie and a redirect to its page; a POST is saved first.

    Forms rendered before links moved to cookies still post to the token URL, so `save` keeps
    them working. Every failure shows the one failure page and counts against the address.
    """
    if link_failures.blocked(request):
        return too_many_failures_response(request)
    try:
        if request.method == "POST" and save is not None:
            return save(request, link)
        if link.kind == LinkKind.ANONYMOUS:
            state = answering.answering_state_for_anonymous(survey_token=link.token)
        else:
            state = answering.answering_state_for_token(token=link.token)
        if not _opens(state):
            raise SurveyNotOpen
    except (LinkNotFound, SurveyNotOpen):
        link_failures.record(request)
        return link_invalid_response(request)
    return link_redirect(request, link, page=page)


@private_page
@csrf_exempt
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    """A personal link from an email: exchanged for the link cookie (a POST is saved first)."""
    return _token_url(request, Link(LinkKind.INVITATION, token), save=_answer_post_with_cookie)


def _answer_post_with_cookie(request: HttpRequest, link: Link) -> HttpResponse:
    response = _answer_post(request, link)
    link_cookie_set(response, link)
    return response


@private_page
@require_http_methods(["GET"])
def thanks(request: HttpRequest, token: str) -> HttpResponse:
    """The thank-you link of a personal link: exchanged for the link cookie."""
    return _token_url(request, Link(LinkKind.INVITATION, token), page="thanks/")


@private_page
@require_http_methods(["GET"])
def status(request: HttpRequest, token: str) -> HttpResponse:
    """The status link of the customer-resolution email: exchanged for the link cookie."""
    return _token_url(request, Link(LinkKind.INVITATION, token), page="status/")


@private_page
@csrf_exempt
@require_http_methods(["GET", "POST"])
def anonymous(request: HttpRequest, survey_token: str) -> HttpResponse:
    """A survey's shared link: exchanged for the link cookie (a POST is saved, on a personal link)."""
    return _token_url(request, Link(LinkKind.ANONYMOUS, survey_token), save=_anonymous_post)


# --- the link's pages, reached with its cookie ---------------------------------------------------


@private_page
@csrf_exempt
@require_http_methods(["GET", "POST"])
def link_page(request: HttpRequest, key: str) -> HttpResponse:
    """The survey page of a link: show where the respondent is, or save a page."""
    link = link_from_cookie(request, key=key)
    if link is None:
        return link_invalid_response(request)
    try:
        if link.kind == LinkKind.ANONYMOUS:
            if request.method == "POST":
                return _anonymous_post(request, link)
            return _anonymous_get(request, link)
        if request.method == "POST":
            return _answer_post(request, link)
        return _answer_get(request, link)
    except (LinkNotFound, SurveyNotOpen):
        return link_invalid_response(request)


def _answer_get(request: HttpRequest, link: Link) -> HttpResponse:
    state = answering.answering_state_for_token(token=link.token)
    language = respondent_language(request, state)
    if state.completed:
        return HttpResponseRedirect(_page_url(link, "thanks/", language=language))
    if not state.survey.accepts_answers():
        raise SurveyNotOpen
    answering.invitation_mark_opened(invitation=state.invitation)
    page = _int_param(request.GET, "page")
    if page not in state.pages() or page > state.resume_page():
        page = state.resume_page()
    return _render_page(request, state, page=page, language=language, action=link.path)


def _answer_post(request: HttpRequest, link: Link) -> HttpResponse:
    page = _int_param(request.POST, "page") or 1
    try:
        saved = answering.response_save_page(
            token=link.token,
            page=page,
            data=_lists(request.POST),
            language=chosen_language(request),
            browser_language=browser_language(request),
        )
    except PageInvalid as invalid:
        state = answering.answering_state_for_token(token=link.token)
        language = respondent_language(request, state)
        if "" in invalid.errors and invalid.errors[""].code == "wrong_page":
            return HttpResponseRedirect(_page_url(link, language=language))
        return _render_page(request, state, page=page, language=language, action=link.path, invalid=invalid)
    return _after_save(link, saved)


def _after_save(link: Link, saved: answering.PageSaved) -> HttpResponse:
    if saved.completed:
        return HttpResponseRedirect(_page_url(link, "thanks/", language=saved.language))
    return HttpResponseRedirect(_page_url(link, language=saved.language, page=saved.next_page))


def _anonymous_get(request: HttpRequest, link: Link) -> HttpResponse:
    state = answering.answering_state_for_anonymous(survey_token=link.token)
    if not state.survey.accepts_answers():
        raise SurveyNotOpen
    language = respondent_language(request, state)
    return _render_page(request, state, page=state.resume_page(), language=language, action=link.path)


def _anonymous_post(request: HttpRequest, link: Link) -> HttpResponse:
    """Save an anonymous respondent's first page; they continue on a personal link of their own."""
    state = answering.answering_state_for_anonymous(survey_token=link.token)
    language = respondent_language(request, state)
    if not state.survey.accepts_answers():
        raise SurveyNotOpen
    try:
        token, saved = answering.response_save_anonymous_page(
            survey_token=link.token, data=_lists(request.POST), language=language
        )
    except PageInvalid as invalid:
        return _render_page(
            request, state, page=state.resume_page(), language=language, action=link.path, invalid=invalid
        )
    personal = Link(LinkKind.INVITATION, token)
    response = _after_save(personal, saved)
    link_cookie_set(response, personal)
    return response


def _completed_response(request: HttpRequest, key: str) -> tuple[Link, AnsweringState, str] | HttpResponse:
    """The link, state and language of a finished response, or the page to show instead."""
    link = link_from_cookie(request, key=key)
    if link is None or link.kind != LinkKind.INVITATION:
        return link_invalid_response(request)
    try:
        state = answering.answering_state_for_token(token=link.token)
    except LinkNotFound:
        return link_invalid_response(request)
    language = respondent_language(request, state)
    if not state.completed:
        if not state.survey.accepts_answers():
            return link_invalid_response(request)
        return HttpResponseRedirect(_page_url(link, language=language))
    return link, state, language


@private_page
@require_http_methods(["GET"])
def link_thanks(request: HttpRequest, key: str) -> HttpResponse:
    """The thank-you page, in the language the person answered in."""
    found = _completed_response(request, key)
    if isinstance(found, HttpResponse):
        return found
    link, state, language = found
    with translation.override(language):
        message = localized(state.survey, "thank_you", language) or _("Thank you for your answers.")
        context = {
            "title": localized(state.survey, "title", language),
            "message": message,
            "status_url": _page_url(link, "status/", language=language),
            "language": language,
            "languages": _language_links(request, language),
        }
        return render(request, "feedback/thanks.html", context)


@staff_member_required
@require_http_methods(["GET"])
def preview(request: HttpRequest, survey_id: int) -> HttpResponse:
    """Staff see a page of the current version as a respondent would; nothing can be saved."""
    # Another team's survey looks like one that does not exist.
    survey = get_object_or_404(access.scope(Survey.objects.all(), request.user), pk=survey_id)
    state = answering.answering_state_for_preview(survey=survey)
    language = respondent_language(request, state)
    pages = state.pages() or [1]
    page = _int_param(request.GET, "page")
    page = page if page in {q.page for q in state.questions} else pages[0]
    return _render_page(request, state, page=page, language=language, action="", preview=True)


def _lists(data: QueryDict) -> dict[str, list[str]]:
    return {key: data.getlist(key) for key in data}


def _language_links(request: HttpRequest, current: str) -> list[dict[str, Any]]:
    links = []
    for code, label in Language.choices:
        query = request.GET.copy()
        query["lang"] = code
        links.append({"code": code, "label": label, "url": f"?{query.urlencode()}", "current": code == current})
    return links


def _render_page(
    request: HttpRequest,
    state: AnsweringState,
    *,
    page: int,
    language: str,
    action: str,
    invalid: PageInvalid | None = None,
    preview: bool = False,
) -> HttpResponse:
    with translation.override(language):
        questions = state.questions_on(page) if not preview else [q for q in state.questions if q.page == page]
        link_score, link_score_error = _score_from_link(request, state, questions, page)
        fields = [
            _question_context(
                question,
                language=language,
                values=_values_for(question, state=state, invalid=invalid, link_score=link_score),
                error=invalid.errors.get(question.key) if invalid else None,
                preview=preview,
                show_if=state.questions,
            )
            for question in questions
        ]
        form_error = error_message(invalid.errors[""]) if invalid and "" in invalid.errors else None
        pages = state.pages() or [1]
        if preview:
            pages = sorted({q.page for q in state.questions}) or [1]
        next_pages = [p for p in pages if p > page]
        previous = [p for p in pages if p < page]
        context = {
            "survey": state.survey,
            "title": localized(state.survey, "title", language),
            "intro": localized(state.survey, "intro", language) if page == pages[0] else "",
            "fields": fields,
            "page": page,
            "page_number": pages.index(page) + 1 if page in pages else 1,
            "page_count": len(pages),
            "is_last": not next_pages,
            "previous_url": f"?{urlencode({'lang': language, 'page': previous[-1]})}" if previous else "",
            "action": action,
            "language": language,
            "languages": _language_links(request, language),
            "form_error": form_error or link_score_error,
            "error_count": len(invalid.errors) if invalid else 0,
            "preview": preview,
        }
        status = 400 if invalid or link_score_error else 200
        return render(request, "feedback/answer.html", context, status=status)


def _text_limit(question: Question) -> int:
    return rules.SHORT_TEXT_MAX_LENGTH if question.kind == "short_text" else settings.ANSWER_TEXT_MAX_LENGTH


def _score_from_link(
    request: HttpRequest, state: AnsweringState, questions: list[Question], page: int
) -> tuple[int | None, str | None]:
    """The ?score= of a one-click email link, for the first question; never saved by a GET."""
    raw = request.GET.get("score")
    if raw is None or request.method != "GET" or not questions or not questions[0].is_scored():
        return None, None
    if questions[0].key in state.answers:
        return None, None
    try:
        return rules.parse_answer(questions[0], [raw], text_max_length=1), None  # type: ignore[return-value]
    except rules.AnswerError as error:
        return None, error_message(error)


def _values_for(
    question: Question, *, state: AnsweringState, invalid: PageInvalid | None, link_score: int | None
) -> list[str]:
    if invalid is not None:
        return invalid.submitted.get(question.key, [])
    saved = state.answers.get(question.key)
    if saved is None:
        return [str(link_score)] if link_score is not None and question.is_scored() else []
    return [str(item) for item in saved] if isinstance(saved, list) else [str(saved)]


def _question_context(
    question: Question,
    *,
    language: str,
    values: Sequence[str],
    error: rules.AnswerError | None,
    preview: bool,
    show_if: Sequence[Question],
) -> dict[str, Any]:
    scale = question.scale
    options: list[dict[str, Any]] = []
    if scale is not None:
        low, high = scale
        options = [{"value": str(n), "label": str(n), "checked": str(n) in values} for n in range(low, high + 1)]
    elif question.choices:
        options = [
            {"value": value, "label": label, "checked": value in values}
            for value, label in question.localized_choices(language)
        ]
    return {
        "question": question,
        "name": answering.FIELD_PREFIX + question.key,
        "id": f"q-{question.key}",
        "text": question.text(language),
        "help": question.help(language),
        "options": options,
        "value": values[0] if values else "",
        "error": error_message(error) if error else "",
        "branch_note": _branch_note(question, show_if) if preview else "",
        "max_length": _text_limit(question),
    }


def _branch_note(question: Question, questions: Sequence[Question]) -> str:
    if not question.show_if_key:
        return ""
    if question.show_if_values:
        return _("Shown only when %(key)s is one of: %(values)s") % {
            "key": question.show_if_key,
            "values": ", ".join(question.show_if_values),
        }
    return _("Shown only when %(key)s is between %(low)s and %(high)s") % {
        "key": question.show_if_key,
        "low": question.show_if_min if question.show_if_min is not None else "…",
        "high": question.show_if_max if question.show_if_max is not None else "…",
    }


@private_page
@require_http_methods(["GET"])
def link_status(request: HttpRequest, key: str) -> HttpResponse:
    """What became of the customer's feedback: received, being handled by (first name), resolved."""
    found = _completed_response(request, key)
    if isinstance(found, HttpResponse):
        return found
    _link, state, language = found
    follow_up = FollowUp.objects.select_related("owner").filter(response=state.response).first()
    with translation.override(language):
        context = {
            "title": localized(state.survey, "title", language),
            "language": language,
            "languages": _language_links(request, language),
            "stage": _stage(follow_up),
            "handler": (follow_up.owner.first_name or _("our team")) if follow_up else "",
            "shared_note": follow_up.shared_note if follow_up and follow_up.status == FollowUp.Status.RESOLVED else "",
            "received_at": state.response.completed_at,
        }
        return render(request, "feedback/status.html", context)


def _stage(follow_up: FollowUp | None) -> str:
    if follow_up is None:
        return "received"
    if follow_up.status in (FollowUp.Status.RESOLVED, FollowUp.Status.CLOSED):
        return "resolved"
    return "handling"
