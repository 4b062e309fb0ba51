"""Survey design and distribution models, one module per concern."""

from surveys.models.contacts import Contact, ContactImport, ContactQuerySet, Segment
from surveys.models.design import Language, Question, QuestionQuerySet, Survey, SurveyQuerySet, localized, new_token
from surveys.models.distribution import Distribution, Invitation, InvitationEmail, InvitationEmailQuerySet
from surveys.models.teams import Team

__all__ = [
    "Contact",
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
    "Survey",
    "SurveyQuerySet",
    "Team",
    "localized",
    "new_token",
]
