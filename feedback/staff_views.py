"""Staff pages outside the admin forms: the metrics dashboard (aggregated figures, any role)."""

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
from surveys import access
from surveys.access import Area
from surveys.models import Language, Segment, Survey


class DashboardFilterForm(forms.Form):
    survey = forms.ModelChoiceField(label=_("survey"), queryset=Survey.objects.none(), required=False)
    period = forms.ChoiceField(
        label=_("period"),
        choices=[("day", _("Day")), ("week", _("Week")), ("month", _("Month")), ("quarter", _("Quarter"))],
        required=False,
    )
    language = forms.ChoiceField(label=_("language"), choices=[("", "---"), *Language.choices], required=False)
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
