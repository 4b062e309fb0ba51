"""Invitation emails: text and HTML parts in the contact's language, first question as links."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.http import urlencode

from surveys.models import Invitation, Language, Question, localized


def invitation_email_build(*, invitation: Invitation) -> EmailMultiAlternatives:
    """The invitation email for one contact; every link is absolute, built from SITE_URL."""
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
        }
        text = render_to_string("surveys/email/invitation.txt", context)
        html = render_to_string("surveys/email/invitation.html", context)
    message = EmailMultiAlternatives(
        subject=context["title"],
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[contact.email] if contact else [],
    )
    message.attach_alternative(html, "text/html")
    return message
