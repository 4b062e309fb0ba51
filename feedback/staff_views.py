"""Staff pages outside the admin forms: the metrics dashboard (aggregated figures, any role) and the
accounts at risk."""

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from feedback import dashboard, metrics
from feedback.health import selectors as health_selectors
from surveys import access
from surveys.access import Area
from surveys.models import Language, Segment, Survey, Touchpoint


class DashboardFilterForm(forms.Form):
    survey = forms.ModelChoiceField(label=_("survey"), queryset=Survey.objects.none(), required=False)
    period = forms.ChoiceField(
        label=_("period"),
        choices=[("day", _("Day")), ("week", _("Week")), ("month", _("Month")), ("quarter", _("Quarter"))],
        required=False,
    )
    language = forms.ChoiceField(label=_("language"), choices=[("", "---"), *Language.choices], required=False)
    touchpoint = forms.ModelChoiceField(label=_("touchpoint"), queryset=Touchpoint.objects.all(), required=False)
    segment = forms.ModelChoiceField(label=_("segment"), queryset=Segment.objects.none(), required=False)
    since = forms.DateTimeField(label=_("since"), required=False)
    until = forms.DateTimeField(label=_("until"), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the surveys and segments of the viewer's teams, by name (the figures are aggregated).
        self.survey_ids = dashboard.metric_survey_ids(user)
        self.fields["survey"].queryset = access.surveys_for(user, Area.METRICS)
        team_ids = access.team_ids(user, Area.METRICS)
        segments = Segment.objects.all() if team_ids is None else Segment.objects.filter(team_id__in=team_ids)
        self.fields["segment"].queryset = segments

    def filters(self) -> metrics.MetricFilters:
        data = self.cleaned_data if self.is_bound else {}
        return metrics.MetricFilters(
            survey_id=data["survey"].pk if data.get("survey") else None,
            survey_ids=self.survey_ids,
            since=data.get("since"),
            until=data.get("until"),
            language=data.get("language") or None,
            segment=data.get("segment"),
            touchpoint_id=data["touchpoint"].pk if data.get("touchpoint") else None,
        )


@staff_member_required
@require_http_methods(["GET"])
def dashboard_page(request: HttpRequest) -> HttpResponse:
    """NPS, CSAT and CES trends with their bands, the funnel, scores and top complaint themes."""
    if not access.can_area(request.user, Area.METRICS):
        raise PermissionDenied
    form = DashboardFilterForm(request.GET or None, user=request.user)
    valid = form.is_valid() if request.GET else True
    filters = form.filters() if valid else metrics.MetricFilters(survey_ids=form.survey_ids)
    period = (form.cleaned_data.get("period") if request.GET and valid else "") or "month"
    overview = dashboard.metrics_overview(filters=filters, period=period)
    language = translation.get_language()
    context: dict[str, Any] = {
        **admin.site.each_context(request),
        "title": _("Dashboard"),
        "form": form,
        "overview": overview,
        "last": overview["series"][-1] if overview["series"] else None,
        "charts": dashboard.overview_charts(overview, language=language),
    }
    return render(request, "feedback/dashboard.html", context, status=200 if valid else 400)


class AtRiskForm(forms.Form):
    sort = forms.ChoiceField(
        label=_("sort by"),
        choices=[
            ("revenue", _("Revenue")),
            ("tier", _("Tier")),
            ("decline", _("Fastest decline")),
            ("health", _("Lowest health")),
        ],
        required=False,
    )


@staff_member_required
@require_http_methods(["GET"])
def accounts_at_risk_page(request: HttpRequest) -> HttpResponse:
    """Accounts at risk or critical, biggest or fastest-falling first, with what pulls each down."""
    # Accounts name customers: whoever may see their team's contacts sees its accounts (not designers).
    if not access.can_area(request.user, Area.CONTACTS):
        raise PermissionDenied
    form = AtRiskForm(request.GET or None)
    valid = form.is_valid() if request.GET else True
    sort = (form.cleaned_data.get("sort") if request.GET and valid else "") or "revenue"
    accounts = list(access.scope(health_selectors.accounts_at_risk(sort=sort), request.user)[:200])
    rows = []
    for account in accounts:
        inputs = health_selectors.explained(account.health)
        pulling = sorted((row for row in inputs if row["points"] < 0), key=lambda row: row["points"])[:3]
        rows.append({"account": account, "health": account.health, "pulling": pulling})
    context: dict[str, Any] = {
        **admin.site.each_context(request),
        "title": _("Accounts at risk"),
        "form": form,
        "sort": sort,
        "rows": rows,
    }
    return render(request, "feedback/at_risk.html", context, status=200 if valid else 400)
