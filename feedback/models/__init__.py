"""Feedback models: responses and their analysis, and the closed loop."""

from feedback.models.digests import DigestDelivery, DigestSubscription
from feedback.models.loop import (
    BusinessCalendar,
    FollowUp,
    FollowUpEvent,
    FollowUpNotification,
    FollowUpQuerySet,
    RootCause,
    RoutingRule,
    StaffProfile,
)
from feedback.models.responses import (
    Answer,
    AnswerQuerySet,
    AnswerTheme,
    Sentiment,
    SurveyResponse,
    SurveyResponseQuerySet,
    Theme,
)
from feedback.models.rollups import (
    InvitationRollup,
    LoopRollup,
    ResponseRollup,
    RollupDirtyDay,
    SurveySummary,
    ThemeRollup,
)

__all__ = [
    "Answer",
    "AnswerQuerySet",
    "AnswerTheme",
    "BusinessCalendar",
    "DigestDelivery",
    "DigestSubscription",
    "FollowUp",
    "FollowUpEvent",
    "FollowUpNotification",
    "FollowUpQuerySet",
    "InvitationRollup",
    "LoopRollup",
    "ResponseRollup",
    "RollupDirtyDay",
    "RootCause",
    "RoutingRule",
    "Sentiment",
    "StaffProfile",
    "SurveyResponse",
    "SurveyResponseQuerySet",
    "SurveySummary",
    "Theme",
    "ThemeRollup",
]
