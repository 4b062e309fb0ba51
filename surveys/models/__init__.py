"""Survey design and distribution models, one module per concern."""

from surveys.models.accounts import Account, AccountQuerySet
from surveys.models.audit import AuditEvent
from surveys.models.contacts import Contact, ContactImport, ContactQuerySet, Segment
from surveys.models.design import (
    Language,
    Question,
    QuestionQuerySet,
    Survey,
    SurveyQuerySet,
    Touchpoint,
    localized,
    new_token,
)
from surveys.models.distribution import Distribution, Invitation, InvitationEmail, InvitationEmailQuerySet
from surveys.models.privacy import ContactErasure, SuppressedAddress
from surveys.models.teams import Membership, Role, Team
from surveys.models.tokens import ApiToken, ApiTokenQuerySet

__all__ = [
    "Account",
    "AccountQuerySet",
    "ApiToken",
    "ApiTokenQuerySet",
    "AuditEvent",
    "Contact",
    "ContactErasure",
    "ContactImport",
    "ContactQuerySet",
    "Distribution",
    "Invitation",
    "InvitationEmail",
    "InvitationEmailQuerySet",
    "Language",
    "Membership",
    "Question",
    "QuestionQuerySet",
    "Role",
    "Segment",
    "SuppressedAddress",
    "Survey",
    "SurveyQuerySet",
    "Team",
    "Touchpoint",
    "localized",
    "new_token",
]
