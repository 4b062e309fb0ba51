"""Root URLs: admin, the public answering pages, the REST API and its documentation."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from feedback.accounts_api import AccountViewSet, HealthAlertViewSet, HealthScoreViewSet, TouchpointViewSet
from feedback.api import FollowUpViewSet, MetricsView, SurveyResponseViewSet
from feedback.catalog_api import BusinessCalendarViewSet, RootCauseViewSet, ThemeViewSet
from feedback.digests_api import DigestDeliveryViewSet, DigestSubscriptionViewSet
from feedback.health_settings_api import AlertRuleViewSet, HealthWeightViewSet
from feedback.loop_api import RoutingRuleViewSet
from feedback.staff_api import StaffViewSet
from feedback.webhooks.api import WebhookMessageViewSet, WebhookSubscriptionViewSet
from surveys.api import AuditEventViewSet, DistributionViewSet, SurveyViewSet
from surveys.contacts_api import ContactImportViewSet, ContactViewSet, SegmentViewSet
from surveys.invitations_api import InvitationViewSet
from surveys.privacy_api import ContactErasureViewSet, SuppressedAddressViewSet
from surveys.teams_api import MembershipViewSet, TeamViewSet
from surveys.tokens_api import ApiTokenViewSet

router = DefaultRouter()
router.register("surveys", SurveyViewSet, basename="survey")
router.register("responses", SurveyResponseViewSet, basename="response")
router.register("distributions", DistributionViewSet, basename="distribution")
router.register("follow-ups", FollowUpViewSet, basename="follow-up")
router.register("contacts", ContactViewSet, basename="contact")
router.register("contact-imports", ContactImportViewSet, basename="contact-import")
router.register("segments", SegmentViewSet, basename="segment")
router.register("audit-events", AuditEventViewSet, basename="audit-event")
router.register("accounts", AccountViewSet, basename="account")
router.register("health-scores", HealthScoreViewSet, basename="health-score")
router.register("health-alerts", HealthAlertViewSet, basename="health-alert")
router.register("touchpoints", TouchpointViewSet, basename="touchpoint")
router.register("teams", TeamViewSet, basename="team")
router.register("memberships", MembershipViewSet, basename="membership")
router.register("staff", StaffViewSet, basename="staff")
router.register("themes", ThemeViewSet, basename="theme")
router.register("root-causes", RootCauseViewSet, basename="root-cause")
router.register("business-calendars", BusinessCalendarViewSet, basename="business-calendar")
router.register("routing-rules", RoutingRuleViewSet, basename="routing-rule")
router.register("digest-subscriptions", DigestSubscriptionViewSet, basename="digest-subscription")
router.register("digest-deliveries", DigestDeliveryViewSet, basename="digest-delivery")
router.register("health-weights", HealthWeightViewSet, basename="health-weight")
router.register("alert-rules", AlertRuleViewSet, basename="alert-rule")
router.register("invitations", InvitationViewSet, basename="invitation")
router.register("contact-erasures", ContactErasureViewSet, basename="contact-erasure")
router.register("suppressed-addresses", SuppressedAddressViewSet, basename="suppressed-address")
router.register("api-tokens", ApiTokenViewSet, basename="api-token")
router.register("webhook-subscriptions", WebhookSubscriptionViewSet, basename="webhook-subscription")
router.register("webhook-messages", WebhookMessageViewSet, basename="webhook-message")

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/v1/metrics/", MetricsView.as_view(), name="metrics"),
    path("api/v1/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: the CSP allows no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("", include("feedback.urls")),
    path("", include("surveys.urls")),
]

handler400 = "vocsite.errors.bad_request"

admin.site.site_header = "vocsite"
admin.site.site_title = "vocsite"
