"""Survey design and distribution models, one module per concern."""

from surveys.models.contacts import Contact, ContactImport, ContactQuerySet, Segment
from surveys.models.design import Language, Question, QuestionQuerySet, Survey, SurveyQuerySet, localized, new_token
from surveys.models.distribution import Distribution, Invitation, InvitationEmail, InvitationEmailQuerySet
from surveys.models.privacy import ContactErasure, SuppressedAddress
from surveys.models.teams import Team

__all__ = [
    "Contact",
    "ContactErasure",
    "ContactImport",
    "ContactQuerySet",
    "Distribution",
    "Invitation",
    "InvitationEmail",
    "InvitationEmailQuerySet",
    "Language",
    "Question",
    "QuestionQuerySet",
    "Segment",
    "SuppressedAddress",
    "Survey",
    "SurveyQuerySet",
    "Team",
    "localized",
    "new_token",
]
