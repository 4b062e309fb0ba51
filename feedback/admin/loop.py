"""Django admin for the closed loop: "My follow-ups", routing rules, teams, calendars, causes."""

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from feedback import loop
from feedback.models import (
    BusinessCalendar,
    FollowUp,
    FollowUpNotification,
    RootCause,
    RoutingRule,
    StaffProfile,
    SurveyResponse,
)
from surveys import access
from surveys.access import Action
from surveys.admin.scoped import ScopedAdmin


class ReassignForm(ActionForm):
    new_owner = forms.ModelChoiceField(label=_("new owner"), queryset=get_user_model().objects.none(), required=False)


def _owner_choices(form: ReassignForm, request: HttpRequest) -> ReassignForm:
    """Offer the caller's colleagues only (the service refuses anyone outside the follow-up's team)."""
    staff = get_user_model().objects.filter(is_active=True, is_staff=True)
    form.fields["new_owner"].queryset = access.scope(staff, request.user)
    return form


class MineFilter(admin.SimpleListFilter):
    title = _("owner")
    parameter_name = "mine"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Mine")), ("team", _("My teams"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[FollowUp]) -> QuerySet[FollowUp]:
        if self.value() == "yes":
            return queryset.filter(owner=request.user)
        if self.value() == "team":
            return queryset.filter(team__members=request.user)
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    title = _("due")
    parameter_name = "due"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("overdue", _("Overdue")), ("today", _("Due within a day")), ("open", _("All open"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[FollowUp]) -> QuerySet[FollowUp]:
        now = timezone.now()
        if self.value() == "overdue":
            return queryset.overdue(now=now)
        if self.value() == "today":
            return queryset.open().filter(due_at__gte=now, due_at__lt=now + timedelta(days=1))
        if self.value() == "open":
            return queryset.open()
        return queryset


class OriginFilter(admin.SimpleListFilter):
    title = _("origin")
    parameter_name = "origin"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("response", _("A response")), ("alert", _("A health alert (proactive)"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[FollowUp]) -> QuerySet[FollowUp]:
        if self.value() == "response":
            return queryset.filter(response__isnull=False)
        if self.value() == "alert":
            return queryset.filter(alert__isnull=False)
        return queryset


class ActForm(forms.Form):
    """Every action on a follow-up page; which fields matter depends on the button pressed."""

    action = forms.ChoiceField(
        choices=[
            (name, name) for name in ["start", "wait", "note", "call", "email", "resolve", "close", "reopen", "assign"]
        ]
    )
    text = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    subject = forms.CharField(required=False, max_length=200)
    root_cause = forms.ModelChoiceField(queryset=RootCause.objects.filter(active=True), required=False)
    shared_note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    tell_customer = forms.BooleanField(required=False)
    owner = forms.ModelChoiceField(queryset=get_user_model().objects.none(), required=False)

    def __init__(self, *args: Any, owners: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only people who may own this follow-up: its team's managers and agents, administrators.
        self.fields["owner"].queryset = owners


@admin.register(FollowUp)
class FollowUpAdmin(ScopedAdmin):
    list_display = [
        "id",
        "contact",
        "account",
        "survey",
        "status",
        "priority",
        "owner",
        "due_at",
        "is_overdue",
        "escalation_level",
    ]
    list_filter = [
        MineFilter,
        OverdueFilter,
        OriginFilter,
        "status",
        "priority",
        "owner",
        "team",
        "root_cause",
        "survey",
    ]
    search_fields = ["contact__email", "contact__name", "account__name", "resolution_note"]
    list_select_related = ["contact", "account", "survey", "owner"]
    action_form = ReassignForm
    actions = ["reassign"]
    readonly_fields = [
        "status",
        "priority",
        "owner",
        "team",
        "due_at",
        "escalation_level",
        "first_action_at",
        "resolved_at",
        "root_cause",
        "resolution_note",
        "shared_note",
        "case_panel",
    ]
    fields = readonly_fields
    change_form_template = "admin/feedback/followup/change_form.html"
    # Open ones first, earliest due first: overdue at the top, then due soon.
    ordering = [
        Case(When(status__in=FollowUp.OPEN_STATUSES, then=Value(0)), default=Value(1), output_field=IntegerField()),
        "due_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: FollowUp | None = None) -> bool:
        return False

    @admin.display(description=_("overdue"), boolean=True)
    def is_overdue(self, follow_up: FollowUp) -> bool:
        return follow_up.is_overdue(now=timezone.now())

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        page = super().changelist_view(request, extra_context)
        form = getattr(page, "context_data", {}).get("action_form")
        if form is not None:
            _owner_choices(form, request)
        return page

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> FollowUp:
        follow_up = super().get_object(request, object_id, from_field)
        # The case panel lists the customer's other responses: only those the viewer may see.
        follow_up.viewer = request.user  # type: ignore[attr-defined]
        return follow_up

    @admin.display(description=_("case"))
    def case_panel(self, follow_up: FollowUp) -> SafeString:
        response = follow_up.response
        viewer = getattr(follow_up, "viewer", None)
        # Only the responses the viewer may see.
        history = access.scope(SurveyResponse.objects.completed(), viewer)
        if follow_up.contact:
            history = history.filter(contact=follow_up.contact)
        elif follow_up.account_id:
            # A proactive follow-up is about the whole account: its contacts' recent answers.
            history = history.filter(contact__account_id=follow_up.account_id)
        else:
            history = history.none()
        if response is not None:
            history = history.exclude(pk=response.pk)
        alert = follow_up.alert
        context = {
            "answers": response.answers.select_related("question")
            .prefetch_related("themes")
            .order_by("question__page", "question__position")
            if response is not None
            else [],
            "alert": alert,
            "later_alerts": follow_up.attached_alerts.select_related("rule").order_by("fired_at") if alert else [],
            "account_url": reverse("admin:surveys_account_change", args=[follow_up.account_id])
            if follow_up.account_id
            else "",
            "history": history.select_related("survey", "contact").order_by("-completed_at")[:20],
            "attached": follow_up.attached_responses.prefetch_related("answers__question").order_by("completed_at"),
            "earlier": access.scope(FollowUp.objects.filter(contact=follow_up.contact), viewer)
            .exclude(pk=follow_up.pk)
            .order_by("-created_at")[:10]
            if follow_up.contact
            else [],
            "events": follow_up.events.select_related("actor"),
            "emails": follow_up.notifications.order_by("created_at"),
            "follow_up": follow_up,
        }
        return SafeString(render_to_string("admin/feedback/followup/case.html", context))

    def get_urls(self) -> list[Any]:
        act = path("<int:follow_up_id>/act/", self.admin_site.admin_view(self.act), name="feedback_followup_act")
        return [act, *super().get_urls()]

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None) -> Any:
        follow_up = self.get_object(request, object_id)
        extra = {
            **(extra_context or {}),
            "act_form": ActForm(owners=access.follow_up_owners(team_id=access.team_of(follow_up))),
            "act_url": reverse("admin:feedback_followup_act", args=[object_id]),
        }
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def act(self, request: HttpRequest, follow_up_id: int) -> HttpResponse:
        """One button on the follow-up page: a state change, a note, a call, an email, a reassignment."""
        follow_up = self.get_object(request, str(follow_up_id))
        back = HttpResponseRedirect(reverse("admin:feedback_followup_change", args=[follow_up_id]))
        if request.method != "POST":
            return back
        needed = Action.ASSIGN if request.POST.get("action") == "assign" else Action.CHANGE
        if not access.can(request.user, needed, follow_up):
            raise PermissionDenied
        form = ActForm(request.POST, owners=access.follow_up_owners(team_id=access.team_of(follow_up)))
        if not form.is_valid():
            self.message_user(request, _("That action could not be read."), level=messages.ERROR)
            return back
        try:
            self._apply(request, follow_up, form.cleaned_data)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), level=messages.ERROR)
            return back
        self.message_user(request, _("Done."))
        return back

    def _apply(self, request: HttpRequest, follow_up: FollowUp, data: dict[str, Any]) -> None:
        action, text, by = data["action"], data["text"] or "", request.user
        if action == "start":
            loop.follow_up_start(follow_up=follow_up, by=by, note=text)
        elif action == "wait":
            loop.follow_up_wait(follow_up=follow_up, by=by, note=text)
        elif action in ("note", "call"):
            loop.follow_up_log(follow_up=follow_up, by=by, kind=action, text=text)
        elif action == "email":
            loop.follow_up_email_customer(follow_up=follow_up, by=by, subject=data["subject"], message=text)
        elif action == "resolve":
            loop.follow_up_resolve(
                follow_up=follow_up,
                by=by,
                root_cause=data["root_cause"],
                note=text,
                shared_note=data["shared_note"],
                tell_customer=data["tell_customer"],
            )
        elif action == "close":
            loop.follow_up_close(follow_up=follow_up, by=by, note=text)
        elif action == "reopen":
            loop.follow_up_reopen(follow_up=follow_up, by=by, note=text)
        elif data["owner"] is None:
            raise ValidationError(_("Choose the new owner."))
        else:
            loop.follow_up_assign(follow_up=follow_up, to=data["owner"], by=by, note=text, request=request)

    @admin.action(description=_("Reassign to the owner chosen below"), permissions=["assign"])
    def reassign(self, request: HttpRequest, queryset: QuerySet[FollowUp]) -> None:
        try:
            owner = (
                _owner_choices(ReassignForm(request.POST), request)
                .fields["new_owner"]
                .clean(request.POST.get("new_owner"))
            )
        except ValidationError:
            owner = None
        if owner is None:
            self.message_user(request, _("Choose the new owner next to the action."), level=messages.ERROR)
            return
        moved = 0
        for follow_up in queryset:
            try:
                loop.follow_up_assign(
                    follow_up=follow_up, to=owner, by=request.user, note=str(_("Bulk reassignment")), request=request
                )
                moved += 1
            except ValidationError as error:
                self.message_user(request, f"#{follow_up.pk}: {' '.join(error.messages)}", level=messages.WARNING)
        self.message_user(request, _("%(count)d follow-ups reassigned.") % {"count": moved})


@admin.register(RoutingRule)
class RoutingRuleAdmin(ScopedAdmin):
    list_display = ["position", "name", "active", "survey", "score_group", "sentiment", "theme", "language"]
    list_display += ["creates_follow_up", "owner_mode", "sla_hours"]
    list_display_links = ["name"]
    list_editable = ["position", "active"]
    list_filter = ["active", "owner_mode"]
    fieldsets = [
        (None, {"fields": ["name", "position", "active"]}),
        (_("When"), {"fields": RoutingRule.CONDITION_FIELDS}),
        (_("Then"), {"fields": RoutingRule.OUTCOME_FIELDS}),
    ]

    def get_form(self, request: HttpRequest, obj: RoutingRule | None = None, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, **kwargs)
        survey = form.base_fields.get("survey")  # absent when the caller may only read the rule
        if survey is not None and not access.is_administrator(request.user):
            # A rule without a survey applies to every team's surveys: administrators only.
            survey.required = True
            survey.empty_label = None
        return form


@admin.register(StaffProfile)
class StaffProfileAdmin(ScopedAdmin):
    list_display = ["user", "manager", "language"]
    autocomplete_fields = ["user", "manager"]


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(ScopedAdmin):
    list_display = ["name", "timezone", "workdays", "day_start", "day_end"]

    def get_form(self, request: HttpRequest, obj: BusinessCalendar | None = None, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, **kwargs)
        form.clean_timezone = _clean_timezone
        return form


def _clean_timezone(form: forms.ModelForm) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = form.cleaned_data["timezone"]
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(_("Unknown timezone; use a name like Asia/Shanghai.")) from None
    return name


@admin.register(RootCause)
class RootCauseAdmin(ScopedAdmin):
    list_display = ["name", "name_zh", "active"]
    list_editable = ["active"]


@admin.register(FollowUpNotification)
class FollowUpNotificationAdmin(ScopedAdmin):
    list_display = ["follow_up", "kind", "step", "recipient", "status", "sent_at", "attempts"]
    list_filter = ["kind", "status"]
    readonly_fields = [field.name for field in FollowUpNotification._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
