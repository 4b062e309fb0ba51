"""Invitation emails: text and HTML parts in the contact's language, first question as links."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from surveys.models import Invitation, Language, Question, localized


def invitation_email_build(*, invitation: Invitation, sequence: int = 0) -> EmailMultiAlternatives:
    """The invitation (sequence 0) or a reminder email; every link is absolute, from SITE_URL.

    It carries a visible unsubscribe link and RFC 8058 one-click unsubscribe headers.
    """
    survey = invitation.survey
    contact = invitation.contact
    language = contact.language if contact else Language.ENGLISH
    first = survey.current_questions().first()
    link = invitation.answer_url()
    score_links = []
    if first is not None and first.scale is not None and first.kind != Question.Kind.STARS:
        low, high = first.scale
        score_links = [
            {"score": score, "url": f"{link}?{urlencode({'score': score, 'lang': language})}"}
            for score in range(low, high + 1)
        ]
    with translation.override(language):
        context = {
            "title": localized(survey, "title", language),
            "intro": localized(survey, "intro", language),
            "question": first.text(language) if first else "",
            "help": first.help(language) if first else "",
            "score_links": score_links,
            "link": f"{link}?{urlencode({'lang': language})}",
            "name": contact.name if contact else "",
            "language": language,
            "reminder": sequence > 0,
            "unsubscribe_url": invitation.unsubscribe_url(),
        }
        subject = context["title"]
        if sequence > 0:
            subject = _("Reminder: %(title)s") % {"title": subject}
        text = render_to_string("surveys/email/invitation.txt", context)
        html = render_to_string("surveys/email/invitation.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[contact.email] if contact else [],
        headers={
            "List-Unsubscribe": f"<{invitation.unsubscribe_url()}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(html, "text/html")
    return message
