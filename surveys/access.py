"""Who may see and do what: teams and roles turned into querysets and yes/no answers.

This is the one place the rules live; admin, the staff pages and the API all ask here.

- Every owned row reaches its team through a path (a response through its survey); a row
  whose team is empty is seen by administrators only.
- A role grants actions on areas, for the whole team or only for rows the person owns.
- `scope()` filters any queryset to the rows a person may act on, as one filter on the owning
  team (a join, never a check per row); `can()` answers for one object, or for "any team"
  when there is no object; `writable_teams()` and `choices()` feed forms and serializers so
  that choice lists never offer another team's rows.
- A model that is not listed in RESOURCES belongs to the settings area, which only
  administrators reach: a new model stays private until someone decides otherwise.
"""

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _

from surveys.models import Membership, Role, Survey, Team


class Area(StrEnum):
    DESIGN = "design"  # surveys and their questions
    DISTRIBUTION = "distribution"  # distributions, invitations and their emails
    CONTACTS = "contacts"  # customers: contacts, segments, imports
    FEEDBACK = "feedback"  # responses and answers (they name the customer)
    FOLLOW_UPS = "follow_ups"
    DIGESTS = "digests"  # digest subscriptions and deliveries (no customer data)
    METRICS = "metrics"  # aggregated figures (no customer data)
    PEOPLE = "people"  # the staff of one's own teams
    REFERENCE = "reference"  # shared lists everyone picks from: themes, root causes, calendars
    ROUTING = "routing"  # routing rules of a team's surveys: who follows up, how fast
    WEBHOOKS = "webhooks"  # a team's webhook subscriptions and what was sent to them (customer data)
    SETTINGS = "settings"  # teams, roles, routing, calendars, audit log, tokens: administrators


class Action(StrEnum):
    VIEW = "view"
    ADD = "add"
    CHANGE = "change"
    DELETE = "delete"
    EXPORT = "export"
    ERASE = "erase"
    ASSIGN = "assign"


TEAM, OWN = "team", "own"
WRITE = (Action.VIEW, Action.ADD, Action.CHANGE, Action.DELETE)


def _grant(*actions: Action, scope: str = TEAM) -> dict[Action, str]:
    return dict.fromkeys(actions, scope)


READ = _grant(Action.VIEW)

# What each team role may do in its team. Administrators may do everything everywhere.
GRANTS: dict[str, dict[Area, dict[Action, str]]] = {
    Role.MANAGER: {
        Area.DESIGN: _grant(*WRITE),
        Area.DISTRIBUTION: _grant(*WRITE),
        # Exporting everything about a customer and erasing them: administrators only.
        Area.CONTACTS: _grant(*WRITE),
        Area.FEEDBACK: _grant(Action.VIEW, Action.CHANGE, Action.EXPORT),
        Area.FOLLOW_UPS: _grant(Action.VIEW, Action.CHANGE, Action.ASSIGN),
        Area.DIGESTS: _grant(*WRITE),
        Area.METRICS: READ,
        Area.PEOPLE: READ,
        Area.REFERENCE: READ,
        Area.ROUTING: _grant(*WRITE),
        Area.WEBHOOKS: _grant(*WRITE),
    },
    Role.AGENT: {
        Area.DESIGN: READ,
        Area.CONTACTS: READ,
        Area.FEEDBACK: _grant(Action.VIEW, Action.CHANGE),
        Area.FOLLOW_UPS: _grant(Action.VIEW, Action.CHANGE, Action.ASSIGN, scope=OWN),
        Area.METRICS: READ,
        Area.PEOPLE: READ,
        Area.REFERENCE: READ,
    },
    Role.DESIGNER: {
        Area.DIGESTS: _grant(*WRITE),
        Area.METRICS: READ,
        Area.PEOPLE: READ,
        Area.REFERENCE: READ,
    },
    Role.VIEWER: {
        area: READ
        for area in (
            Area.DESIGN,
            Area.DISTRIBUTION,
            Area.CONTACTS,
            Area.FEEDBACK,
            Area.FOLLOW_UPS,
            Area.DIGESTS,
            Area.METRICS,
            Area.PEOPLE,
            Area.REFERENCE,
            Area.ROUTING,
        )
    },
}

# Roles that may own follow-ups (round-robin turns, reassignment targets).
FOLLOW_UP_OWNER_ROLES = (Role.MANAGER, Role.AGENT)


@dataclass(frozen=True)
class Resource:
    """Where a model belongs and how its rows reach their team (and their owner)."""

    area: Area
    team: str | None = None  # path to the owning team; None: not owned by a team
    owner: str | None = None  # path to the staff user who owns a row, for "own" grants
    many: bool = False  # the team path crosses a to-many relation: filter by subquery
    # The path to the team when the row at the end of `team` is missing (a follow-up of a health
    # alert has no survey: its account's team owns it; a contact's health score has no account).
    fallback: str | None = None

    def in_teams(self, team_ids: frozenset[int]) -> Q:
        """Rows owned by one of these teams: through the team path, else through the fallback."""
        condition = Q(**{f"{self.team}__in": team_ids})
        if self.fallback is not None:
            holder = self.team.rpartition("__")[0]
            condition |= Q(**{f"{holder}__isnull": True, f"{self.fallback}__in": team_ids})
        return condition

    def team_id(self, obj: Any) -> int | None:
        """The id of the team that owns one row (None: administrators only)."""
        assert self.team is not None
        holder = self.team.rpartition("__")[0]
        if self.fallback is not None and holder and _follow_object(obj, holder) is None:
            return _follow(obj, self.fallback)
        return _follow(obj, self.team)


RESOURCES: dict[str, Resource] = {
    "surveys.survey": Resource(Area.DESIGN, "team"),
    "surveys.question": Resource(Area.DESIGN, "survey__team"),
    "surveys.distribution": Resource(Area.DISTRIBUTION, "survey__team"),
    "surveys.invitation": Resource(Area.DISTRIBUTION, "survey__team"),
    "surveys.invitationemail": Resource(Area.DISTRIBUTION, "invitation__survey__team"),
    "surveys.contact": Resource(Area.CONTACTS, "team"),
    "surveys.segment": Resource(Area.CONTACTS, "team"),
    "surveys.contactimport": Resource(Area.CONTACTS, "team"),
    "feedback.surveyresponse": Resource(Area.FEEDBACK, "survey__team"),
    "feedback.answer": Resource(Area.FEEDBACK, "response__survey__team"),
    "feedback.answertheme": Resource(Area.FEEDBACK, "answer__response__survey__team"),
    "feedback.followup": Resource(Area.FOLLOW_UPS, "survey__team", owner="owner", fallback="account__team"),
    "feedback.followupevent": Resource(
        Area.FOLLOW_UPS, "follow_up__survey__team", owner="follow_up__owner", fallback="follow_up__account__team"
    ),
    "feedback.followupnotification": Resource(
        Area.FOLLOW_UPS, "follow_up__survey__team", owner="follow_up__owner", fallback="follow_up__account__team"
    ),
    "feedback.digestsubscription": Resource(Area.DIGESTS, "team"),
    "feedback.digestdelivery": Resource(Area.DIGESTS, "subscription__team"),
    "feedback.webhooksubscription": Resource(Area.WEBHOOKS, "team"),
    "feedback.webhookmessage": Resource(Area.WEBHOOKS, "subscription__team"),
    "feedback.webhookattempt": Resource(Area.WEBHOOKS, "message__subscription__team"),
    "feedback.theme": Resource(Area.REFERENCE),
    "feedback.rootcause": Resource(Area.REFERENCE),
    "feedback.businesscalendar": Resource(Area.REFERENCE),
    # A rule about one survey belongs to the survey's team; a rule about every survey, to administrators.
    "feedback.routingrule": Resource(Area.ROUTING, "survey__team"),
    # Customer health is customer data: it follows its account (or, for a contact's score, its contact).
    "surveys.account": Resource(Area.CONTACTS, "team"),
    "feedback.healthscore": Resource(Area.CONTACTS, "account__team", fallback="contact__team"),
    "feedback.healthhistory": Resource(Area.CONTACTS, "account__team", fallback="contact__team"),
    "feedback.healthalert": Resource(Area.CONTACTS, "account__team"),
    # Shared settings everyone picks from or is measured by; administrators edit them.
    "surveys.touchpoint": Resource(Area.REFERENCE),
    "feedback.healthweight": Resource(Area.REFERENCE),
    "feedback.alertrule": Resource(Area.REFERENCE),
    "auth.user": Resource(Area.PEOPLE, "memberships__team", many=True),
    # A team is its own owner: its members read it, administrators create and change teams.
    "surveys.team": Resource(Area.PEOPLE, "pk"),
}
SETTINGS = Resource(Area.SETTINGS)


def resource_of(model: type[Model]) -> Resource:
    """How a model is owned; unlisted models are settings, for administrators only."""
    return RESOURCES.get(model._meta.label_lower, SETTINGS)


def roles(user: Any) -> dict[int | None, str]:
    """The user's role in each of their teams (None: the administrator row), read once per user object."""
    if not _is_staff(user):
        return {}
    cached = getattr(user, "_vocsite_roles", None)
    if cached is None:
        cached = dict(Membership.objects.filter(user_id=user.pk).values_list("team_id", "role"))
        user._vocsite_roles = cached
    return cached


def forget(user: Any) -> None:
    """Drop the roles cached on a user object (after their memberships change)."""
    user.__dict__.pop("_vocsite_roles", None)


def is_administrator(user: Any) -> bool:
    """Superusers and holders of the administrator role: everything, in every team."""
    return _is_staff(user) and (user.is_superuser or roles(user).get(None) == Role.ADMINISTRATOR)


@dataclass(frozen=True)
class Reach:
    """Where an action is allowed: everywhere, in whole teams, or on one's own rows in teams."""

    everywhere: bool = False
    teams: frozenset[int] = field(default_factory=frozenset)
    own: frozenset[int] = field(default_factory=frozenset)

    def any(self) -> bool:
        return self.everywhere or bool(self.teams or self.own)


def reach(user: Any, area: Area, action: Action | str) -> Reach:
    """The teams in which the user may take an action on an area."""
    if is_administrator(user):
        return Reach(everywhere=True)
    teams: set[int] = set()
    own: set[int] = set()
    for team_id, role in roles(user).items():
        scope = GRANTS.get(role, {}).get(area, {}).get(Action(action)) if team_id is not None else None
        if scope == TEAM:
            teams.add(team_id)
        elif scope == OWN:
            own.add(team_id)
    return Reach(teams=frozenset(teams), own=frozenset(own))


def can_area(user: Any, area: Area, action: Action | str = Action.VIEW) -> bool:
    """Whether the user may take an action on an area in at least one team (pages not tied to a model)."""
    return reach(user, area, action).any()


def team_ids(user: Any, area: Area, action: Action | str = Action.VIEW) -> frozenset[int] | None:
    """Ids of the teams where the user may act on an area (own rows count); None: every team."""
    where = reach(user, area, action)
    return None if where.everywhere else where.teams | where.own


def scope(queryset: QuerySet[Any], user: Any, action: Action | str = Action.VIEW) -> QuerySet[Any]:
    """The rows of a queryset the user may take an action on; one filter, whatever the size."""
    resource = resource_of(queryset.model)
    where = reach(user, resource.area, action)
    if where.everywhere:
        return queryset
    if not where.any():
        return queryset.none()
    if resource.team is None:
        return queryset
    condition = Q()
    if where.teams:
        condition |= resource.in_teams(where.teams)
    if where.own and resource.owner:
        condition |= resource.in_teams(where.own) & Q(**{f"{resource.owner}_id": user.pk})
    if not condition:
        return queryset.none()
    if resource.many:
        return queryset.filter(pk__in=queryset.model._default_manager.filter(condition).values("pk"))
    return queryset.filter(condition)


def can(user: Any, action: Action | str, obj: Model | None = None, *, model: type[Model] | None = None) -> bool:
    """Whether the user may take an action on one object, or (without one) on any row of the model."""
    model = model or type(obj)
    resource = resource_of(model)
    where = reach(user, resource.area, action)
    if where.everywhere or not where.any():
        return where.everywhere
    if resource.team is None:  # shared lists: whoever the area is granted to
        return True
    if obj is None:
        return bool(where.teams) or (bool(where.own) and resource.owner is not None)
    if resource.many:
        return obj.pk is not None and scope(model._default_manager.filter(pk=obj.pk), user, action).exists()
    team_id = resource.team_id(obj)
    if team_id in where.teams:
        return True
    return team_id in where.own and resource.owner is not None and _follow(obj, resource.owner) == user.pk


def team_of(obj: Model) -> int | None:
    """The id of the team that owns an object (None: administrators only, or not team-owned)."""
    resource = resource_of(type(obj))
    return resource.team_id(obj) if resource.team and not resource.many else None


def writable_teams(user: Any, model: type[Model], action: Action | str = Action.ADD) -> QuerySet[Team]:
    """The teams in which the user may create (or change) rows of a model: a team field's choices."""
    where = reach(user, resource_of(model).area, action)
    if where.everywhere:
        return Team.objects.all()
    return Team.objects.filter(pk__in=where.teams | where.own)


def choices(queryset: QuerySet[Any], user: Any, *, for_model: type[Model], action: Action | str) -> QuerySet[Any]:
    """Rows the user may link to a row of for_model: ones they see, in teams where they may act on it.

    Teams themselves: the teams where the user may take the action on for_model.
    """
    queryset = queryset.all()  # a manager (a serializer field's default) becomes a queryset
    if queryset.model is Team:
        return queryset & writable_teams(user, for_model, action)
    visible = scope(queryset, user, Action.VIEW)
    related = resource_of(queryset.model)
    where = reach(user, resource_of(for_model).area, action)
    if where.everywhere or related.team is None or related.many:
        return visible if where.any() else visible.none()
    return visible.filter(related.in_teams(where.teams | where.own))


def team_for_new(user: Any, model: type[Model], *, chosen: Team | None) -> Team | None:
    """The team a new row gets: the chosen one, else the caller's only team (administrators may choose none)."""
    if chosen is not None or is_administrator(user):
        return chosen
    teams = list(writable_teams(user, model, Action.ADD)[:2])
    if len(teams) == 1:
        return teams[0]
    raise ValidationError({"team": _("Choose the team this belongs to.")})


def surveys_for(user: Any, area: Area, action: Action | str = Action.VIEW) -> QuerySet[Any]:
    """The surveys whose data the user may see in an area (metrics: aggregated figures only)."""
    ids = team_ids(user, area, action)
    return Survey.objects.all() if ids is None else Survey.objects.filter(team_id__in=ids)


def follow_up_owners(*, team_id: int | None) -> QuerySet[Any]:
    """Active staff who may own a follow-up of a team's survey: its managers and agents, administrators."""
    eligible = Q(is_superuser=True) | Q(memberships__team__isnull=True, memberships__role=Role.ADMINISTRATOR)
    if team_id is not None:
        eligible |= Q(memberships__team_id=team_id, memberships__role__in=FOLLOW_UP_OWNER_ROLES)
    users = get_user_model().objects
    return users.filter(is_active=True, is_staff=True, pk__in=users.filter(eligible).values("pk"))


def can_own_follow_ups(user: Any, *, team_id: int | None) -> bool:
    """Whether a user may be given a follow-up of a team's survey."""
    if is_administrator(user):
        return True
    return team_id is not None and roles(user).get(team_id) in FOLLOW_UP_OWNER_ROLES


def _is_staff(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_staff)


def _follow_object(obj: Any, path: str) -> Any:
    """The object at the end of a lookup path ("follow_up__survey" -> obj.follow_up.survey), None if broken."""
    for step in path.split("__"):
        obj = getattr(obj, step, None)
        if obj is None:
            return None
    return obj


def _follow(obj: Any, path: str) -> Any:
    """The id at the end of a lookup path ("survey__team" -> obj.survey.team_id, "pk" -> obj.pk), None if broken."""
    *steps, last = path.split("__")
    for step in steps:
        obj = getattr(obj, step, None)
        if obj is None:
            return None
    return obj.pk if last == "pk" else getattr(obj, f"{last}_id", None)
