"""Invitation emails: text and HTML parts in the contact's language, first question as links."""

from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import get_template
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from surveys.models import Invitation, Language, Question, Survey, localized


@dataclass(frozen=True)
class SurveyEmailContent:
    """What every invitation to one survey says in one language, apart from the personal links."""

    title: str
    intro: str
    question: str
    help: str
    # One (score, query string) pair per point of the first question's scale; empty when it has none.
    # The score is text already: a number would go through number formatting on each render.
    score_queries: tuple[tuple[str, str], ...]
    lang_query: str


class InvitationEmailBuilder:
    """Builds invitation emails, reading each survey's first question once per builder (one batch)."""

    def __init__(self) -> None:
        self._contents: dict[tuple[int, int, str], SurveyEmailContent] = {}
        self._first_questions: dict[tuple[int, int], Question | None] = {}
        self._text = get_template("surveys/email/invitation.txt")
        self._html = get_template("surveys/email/invitation.html")

    def build(self, *, invitation: Invitation, sequence: int = 0) -> EmailMultiAlternatives:
        """The invitation (sequence 0) or a reminder email; every link is absolute, from SITE_URL.

        It carries a visible unsubscribe link and RFC 8058 one-click unsubscribe headers.
        """
        contact = invitation.contact
        language = contact.language if contact else Language.ENGLISH
        content = self._content(invitation.survey, language)
        link = invitation.answer_url()
        unsubscribe_url = invitation.unsubscribe_url()
        with translation.override(language):
            context = {
                "title": content.title,
                "intro": content.intro,
                "question": content.question,
                "help": content.help,
                "score_links": [{"score": score, "url": link + query} for score, query in content.score_queries],
                "link": link + content.lang_query,
                "name": contact.name if contact else "",
                "language": language,
                "reminder": sequence > 0,
                "unsubscribe_url": unsubscribe_url,
            }
            subject = one_line(content.title)
            if sequence > 0:
                subject = _("Reminder: %(title)s") % {"title": subject}
            text = self._text.render(context)
            html = self._html.render(context)
        message = EmailMultiAlternatives(
            subject=subject,
            body=text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[contact.email] if contact else [],
            headers={
                "List-Unsubscribe": f"<{unsubscribe_url}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )
        message.attach_alternative(html, "text/html")
        return message

    def _content(self, survey: Survey, language: str) -> SurveyEmailContent:
        key = (survey.pk, survey.version, language)
        if key not in self._contents:
            first = self._first_question(survey)
            scores: range = range(0)
            if first is not None and first.scale is not None and first.kind != Question.Kind.STARS:
                low, high = first.scale
                scores = range(low, high + 1)
            self._contents[key] = SurveyEmailContent(
                title=localized(survey, "title", language),
                intro=localized(survey, "intro", language),
                question=first.text(language) if first else "",
                help=first.help(language) if first else "",
                score_queries=tuple(
                    (str(score), f"?{urlencode({'score': score, 'lang': language})}") for score in scores
                ),
                lang_query=f"?{urlencode({'lang': language})}",
            )
        return self._contents[key]

    def _first_question(self, survey: Survey) -> Question | None:
        key = (survey.pk, survey.version)
        if key not in self._first_questions:
            self._first_questions[key] = survey.current_questions().first()
        return self._first_questions[key]


def invitation_email_build(*, invitation: Invitation, sequence: int = 0) -> EmailMultiAlternatives:
    """One invitation or reminder email; a batch shares one InvitationEmailBuilder instead."""
    return InvitationEmailBuilder().build(invitation=invitation, sequence=sequence)


def one_line(text: str) -> str:
    """Header-safe text: line breaks and other control characters become single spaces.

    A title or name typed with a line break would otherwise end the header (or make Django
    refuse the whole message) where a person meant one line.
    """
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
