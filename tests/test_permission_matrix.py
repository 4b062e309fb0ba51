"""Every route of the project, asked by every role of one team, about its own rows and the other team's.

MATRIX names each route (as the URL resolver spells it; a DRF route's ".json" twin shares its
entry) and what each role gets, in the order: administrator, manager, agent, designer, viewer.
A route without an entry fails the first test, so no route is added without deciding who may
use it. For every route about one object, the other team's object answers 404 to every team
role; lists hold only the caller's rows; writes naming the other team's rows are refused; a
designer's pages never show a customer's name or address. Each request runs in a savepoint
that is rolled back, so every role meets the same world.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from rest_framework.test import APIClient

from tests.routes import project_routes, readable
from tests.teams import ROLES, Side, World, make_world
from tests.tokens import token_for

pytestmark = pytest.mark.django_db

Body = Callable[[World], dict[str, Any]]


def codes(text: str) -> dict[str, int]:
    """ "200 200 403 403 200" -> the status each role gets, in ROLES order."""
    values = [int(value) for value in text.split()]
    assert len(values) == len(ROLES), text
    return dict(zip(ROLES, values, strict=True))


class Caller:
    """Clients for each role, and requests that leave the world as they found it."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.pages: dict[str, Client] = {}
        self.apis: dict[str, APIClient] = {}

    def page(self, role: str | None) -> Client:
        if role not in self.pages:
            client = Client()
            if role is not None:
                client.force_login(self.world.user(role))
            self.pages[role] = client
        return self.pages[role]

    def api(self, role: str | None) -> APIClient:
        if role not in self.apis:
            client = APIClient()
            if role is not None:
                client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(self.world.user(role))}")
            self.apis[role] = client
        return self.apis[role]

    def send(
        self, role: str | None, method: str, url: str, data: Any = None, *, api: bool = False, **extra: Any
    ) -> Any:
        client = self.api(role) if api else self.page(role)
        with transaction.atomic():
            if api and method in ("post", "put", "patch") and "format" not in extra:
                extra["format"] = "json"
            answer = getattr(client, method)(url, data, **extra) if data is not None else getattr(client, method)(url)
            transaction.set_rollback(True)
        if role == "designer" and answer.status_code == 200:
            shown = b"".join(answer.streaming_content) if answer.streaming else answer.content
            text = shown.decode(errors="replace")
            leaked = [value for value in self.world.personal_strings() if value in text]
            assert not leaked, f"{method.upper()} {url} shows a designer {leaked}"
            assert '"contact"' not in text, f"{method.upper()} {url} shows a designer contact ids"
        return answer


def mismatch(what: str, role: str, got: int, wanted: int) -> list[str]:
    return [] if got == wanted else [f"{what} as {role}: {got}, expected {wanted}"]


# Models and the row that stands for each on a team's side, or a shared row (no team).
ROWS = {
    "surveys.survey": "survey",
    "surveys.contact": "contact",
    "surveys.account": "account",
    "feedback.healthscore": "health",
    "feedback.healthalert": "alert",
    "surveys.segment": "segment",
    "surveys.contactimport": "contact_import",
    "surveys.distribution": "distribution",
    "surveys.invitation": "invitation",
    "feedback.surveyresponse": "response",
    "feedback.answer": "answer",
    "feedback.followup": "follow_up",
    "feedback.followupnotification": "notification",
    "feedback.digestsubscription": "subscription",
    "feedback.digestdelivery": "delivery",
    "feedback.routingrule": "rule",
    "surveys.team": "team",
    "feedback.webhooksubscription": "webhook",
    "feedback.webhookmessage": "webhook_message",
    "auth.user": "user",
}


def row_of(world: World, model: str, side: Side | None = None) -> Any:
    if model in ROWS:
        return (side or world.north).row(ROWS[model])
    return world.shared[model.split(".")[1]]


@dataclass(frozen=True)
class Public:
    """Answered without a login (the token or signed link in the URL is the credential)."""

    url: Callable[[World], str]
    status: int
    why: str

    def check(self, caller: Caller) -> list[str]:
        return mismatch(
            "GET (anonymous)", "anyone", caller.send(None, "get", self.url(caller.world)).status_code, self.status
        )


@dataclass(frozen=True)
class Staff:
    """A page for any staff member; what it shows is scoped, and anonymous visitors are refused."""

    url: Callable[[World], str]
    get: str
    foreign_query: Body | None = None  # a filter naming the other team's rows
    foreign: str = ""
    method: str = "get"
    anonymous: tuple[int, ...] = (302, 401, 403)  # refused (a redirect to the login page, or 401/403)
    post: str = ""  # and what a POST of post_data gets
    post_data: Body | None = None

    def check(self, caller: Caller) -> list[str]:
        url = self.url(caller.world)
        failures = []
        anonymous = caller.send(None, self.method, url).status_code
        if anonymous not in self.anonymous:
            failures.append(f"{self.method.upper()} {url} anonymous: {anonymous}")
        for role, wanted in codes(self.get).items():
            failures += mismatch(
                f"{self.method.upper()} {url}", role, caller.send(role, self.method, url).status_code, wanted
            )
        for role, wanted in codes(self.post).items() if self.post else []:
            data = self.post_data(caller.world) if self.post_data else {}
            failures += mismatch(f"POST {url}", role, caller.send(role, "post", url, data).status_code, wanted)
        if self.foreign_query:
            for role, wanted in codes(self.foreign).items():
                got = caller.send(role, "get", url, self.foreign_query(caller.world)).status_code
                failures += mismatch(f"GET {url} naming the other team's rows", role, got, wanted)
        return failures


@dataclass(frozen=True)
class AdminList:
    model: str
    get: str

    def check(self, caller: Caller) -> list[str]:
        world, url = caller.world, "/admin/{}/{}/".format(*self.model.split("."))
        failures = []
        for role, wanted in codes(self.get).items():
            page = caller.send(role, "get", url)
            failures += mismatch(f"GET {url}", role, page.status_code, wanted)
            if page.status_code == 200 and self.model in ROWS:
                shown = {row.pk for row in page.context["cl"].result_list}
                own, other = row_of(world, self.model).pk, row_of(world, self.model, world.south).pk
                if own not in shown:
                    failures.append(f"GET {url} as {role}: its own team's row is missing")
                if (other in shown) != (role == "administrator"):
                    failures.append(
                        f"GET {url} as {role}: the other team's row is {'shown' if other in shown else 'missing'}"
                    )
        return failures


@dataclass(frozen=True)
class AdminAdd:
    model: str
    get: str
    foreign: Body | None = None  # a form naming the other team's rows: refused, nothing saved
    path: str = "add/"

    def check(self, caller: Caller) -> list[str]:
        world, url = caller.world, "/admin/{}/{}/".format(*self.model.split(".")) + self.path
        failures = []
        for role, wanted in codes(self.get).items():
            failures += mismatch(f"GET {url}", role, caller.send(role, "get", url).status_code, wanted)
            if self.foreign is None or role == "administrator":
                continue
            answer = caller.send(role, "post", url, self.foreign(world))
            refused = 403 if wanted == 403 else 200  # the form again, with the refusal as its error
            failures += mismatch(f"POST {url} naming the other team's rows", role, answer.status_code, refused)
        return failures


@dataclass(frozen=True)
class AdminObject:
    """One object's page: change, delete, history, a custom view, or the bare redirect."""

    model: str
    suffix: str
    get: str
    post: str = ""  # for views that take a POST: what an empty (or given) form gets
    data: Body | None = None
    shared: bool = False  # a row no team owns: there is no other team's row to ask for
    other: int = 404  # what the other team's object gets (the bare redirect finds out nothing)

    def url(self, world: World, side: Side | None) -> str:
        row = row_of(world, self.model, side)
        app, name = self.model.split(".")
        return f"/admin/{app}/{name}/{row.pk}/{self.suffix}"

    def check(self, caller: Caller) -> list[str]:
        world = caller.world
        own, other = self.url(world, world.north), self.url(world, world.south)
        data = self.data(world) if self.data else {}
        failures = []
        for role, wanted in codes(self.get).items():
            failures += mismatch(f"GET {own}", role, caller.send(role, "get", own).status_code, wanted)
            if not self.shared and role != "administrator":
                got = caller.send(role, "get", other).status_code
                failures += mismatch(f"GET {other} (other team)", role, got, self.other)
        for role, wanted in codes(self.post).items() if self.post else []:
            failures += mismatch(f"POST {own}", role, caller.send(role, "post", own, data).status_code, wanted)
            if not self.shared and role != "administrator":
                got = caller.send(role, "post", other, data).status_code
                failures += mismatch(f"POST {other} (other team)", role, got, 404)
        return failures


@dataclass(frozen=True)
class AppIndex:
    apps: dict[str, str]

    def check(self, caller: Caller) -> list[str]:
        failures = []
        for app, expected in self.apps.items():
            for role, wanted in codes(expected).items():
                failures += mismatch(
                    f"GET /admin/{app}/", role, caller.send(role, "get", f"/admin/{app}/").status_code, wanted
                )
        return failures


@dataclass(frozen=True)
class ApiList:
    base: str
    model: str
    get: str
    post: str = ""  # creating with a body that names the other team's rows
    body: Body | None = None
    foreign_query: Body | None = None  # a filter naming the other team's rows: 400 for team roles
    multipart: bool = False

    def check(self, caller: Caller) -> list[str]:
        world, url = caller.world, f"/api/v1/{self.base}/"
        failures = []
        anonymous = caller.send(None, "get", url, api=True).status_code
        if anonymous not in (401, 403):
            failures.append(f"GET {url} anonymous: {anonymous}")
        for role, wanted in codes(self.get).items():
            answer = caller.send(role, "get", url, api=True)
            failures += mismatch(f"GET {url}", role, answer.status_code, wanted)
            if answer.status_code == 200:
                ids = {item["id"] for item in answer.json()["results"]}
                own, other = row_of(world, self.model).pk, row_of(world, self.model, world.south).pk
                if own not in ids or (other in ids) != (role == "administrator"):
                    failures.append(f"GET {url} as {role}: listed {sorted(ids)}, own {own}, other team's {other}")
            if self.foreign_query and answer.status_code == 200:
                refused = caller.send(role, "get", url, self.foreign_query(world), api=True).status_code
                failures += mismatch(
                    f"GET {url} naming the other team's rows", role, refused, 200 if role == "administrator" else 400
                )
        for role, wanted in codes(self.post).items() if self.post else []:
            body = self.body(world) if self.body else {}
            extra = {"format": "multipart"} if self.multipart else {}
            failures += mismatch(
                f"POST {url}", role, caller.send(role, "post", url, body, api=True, **extra).status_code, wanted
            )
        return failures


@dataclass(frozen=True)
class ApiObject:
    base: str
    model: str
    get: str
    patch: str = ""
    body: Body | None = None
    delete: str = ""

    def check(self, caller: Caller) -> list[str]:
        world = caller.world
        own = f"/api/v1/{self.base}/{row_of(world, self.model).pk}/"
        other = f"/api/v1/{self.base}/{row_of(world, self.model, world.south).pk}/"
        failures = []
        for method, expected in [("get", self.get), ("patch", self.patch), ("delete", self.delete)]:
            if not expected:
                continue
            body = (self.body(world) if self.body else {}) if method == "patch" else None
            for role, wanted in codes(expected).items():
                failures += mismatch(
                    f"{method.upper()} {own}", role, caller.send(role, method, own, body, api=True).status_code, wanted
                )
                if role != "administrator":
                    got = caller.send(role, method, other, body, api=True).status_code
                    failures += mismatch(f"{method.upper()} {other} (other team)", role, got, 404)
        return failures


@dataclass(frozen=True)
class ApiAction:
    base: str
    model: str
    action: str
    post: str  # what each role gets (a POST, unless method says otherwise)
    body: Body | None = None
    method: str = "post"

    def check(self, caller: Caller) -> list[str]:
        world = caller.world
        own = f"/api/v1/{self.base}/{row_of(world, self.model).pk}/{self.action}/"
        other = f"/api/v1/{self.base}/{row_of(world, self.model, world.south).pk}/{self.action}/"
        body = self.body(world) if self.body else ({} if self.method == "post" else None)
        verb = self.method.upper()
        failures = []
        for role, wanted in codes(self.post).items():
            got = caller.send(role, self.method, own, body, api=True).status_code
            failures += mismatch(f"{verb} {own}", role, got, wanted)
            if role != "administrator":
                got = caller.send(role, self.method, other, body, api=True).status_code
                failures += mismatch(f"{verb} {other} (other team)", role, got, 404)
        return failures


def admin_routes(
    model: str,
    *,
    changelist: str,
    add: str,
    change: str,
    post: str,
    delete: str,
    history: str,
    shared: bool = False,
    foreign: Body | None = None,
) -> dict[str, Any]:
    """The six routes Django admin makes for one model, each with its outcome per role."""
    app, name = model.split(".")
    prefix = f"admin/{app}/{name}/"
    return {
        prefix: AdminList(model, changelist),
        f"{prefix}add/": AdminAdd(model, add, foreign),
        f"{prefix}<path:object_id>/change/": AdminObject(model, "change/", change, post, shared=shared),
        f"{prefix}<path:object_id>/delete/": AdminObject(model, "delete/", delete, shared=shared),
        f"{prefix}<path:object_id>/history/": AdminObject(model, "history/", history, shared=shared),
        # The bare object URL redirects to its change page, which decides (for any staff member).
        f"{prefix}<path:object_id>/": AdminObject(model, "", "302 302 302 302 302", shared=shared, other=302),
    }


def api_routes(
    base: str,
    model: str,
    *,
    listing: str,
    detail: str,
    create: tuple[str, Body] | None = None,
    foreign_query: Body | None = None,
    patch: str = "",
    delete: str = "",
    actions: dict[str, tuple[str, Body | None]] | None = None,
) -> dict[str, Any]:
    """A viewset's routes: the list (and create), one object, and each custom action on one object."""
    post, body = create or ("", None)
    routes = {
        f"api/v1/{base}/": ApiList(base, model, listing, post, body, foreign_query),
        f"api/v1/{base}/{{pk}}/": ApiObject(base, model, detail, patch, lambda world: {"name": "Renamed"}, delete),
    }
    for action, (expected, action_body) in (actions or {}).items():
        routes[f"api/v1/{base}/{{pk}}/{action}/"] = ApiAction(base, model, action, expected, action_body)
    return routes


ADMINISTRATORS_ONLY = {
    "changelist": "200 403 403 403 403",
    "add": "200 403 403 403 403",
    "change": "200 404 404 404 404",
    "post": "200 404 404 404 404",
    "delete": "200 404 404 404 404",
    "history": "200 404 404 404 404",
    "shared": True,
}
# Surveys and customers: managers edit them, agents and viewers read them, designers never see them.
TEAM_READS_MANAGERS_EDIT = {
    "changelist": "200 200 200 403 200",
    "add": "200 200 403 403 403",
    "change": "200 200 200 404 200",
    "post": "200 200 403 404 403",
    "delete": "200 200 403 404 403",
    "history": "200 200 200 404 200",
}
# Distributions: managers edit them, viewers read them, agents and designers never see them.
MANAGERS_EDIT_VIEWERS_READ = {
    "changelist": "200 200 403 403 200",
    "add": "200 200 403 403 403",
    "change": "200 200 404 404 200",
    "post": "200 200 404 404 403",
    "delete": "200 200 404 404 403",
    "history": "200 200 404 404 200",
}
# Records of what happened (audit log, erasures, the suppression list): administrators read them, nobody edits.
RECORDS = {
    **ADMINISTRATORS_ONLY,
    "add": "403 403 403 403 403",
    "post": "403 404 404 404 404",
    "delete": "403 404 404 404 404",
}
# Themes, root causes, touchpoints, alert rules: everyone with a role reads them, administrators edit them.
SHARED_LIST = {
    "changelist": "200 200 200 200 200",
    "add": "200 403 403 403 403",
    "change": "200 200 200 200 200",
    "post": "200 403 403 403 403",
    "delete": "200 403 403 403 403",
    "history": "200 200 200 200 200",
    "shared": True,
}


def south(name: str) -> Callable[[World], int]:
    return lambda world: world.south.row(name).pk


def shared_api(base: str, row: str, *, post_data: Body | None = None) -> dict[str, Any]:
    """A shared list's routes: everyone with a role reads it, administrators add to it."""
    post = "201 403 403 403 403" if post_data else ""
    return {
        f"api/v1/{base}/": Staff(
            lambda world: f"/api/v1/{base}/", get="200 200 200 200 200", post=post, post_data=post_data
        ),
        f"api/v1/{base}/{{pk}}/": Staff(
            lambda world: f"/api/v1/{base}/{world.shared[row].pk}/", get="200 200 200 200 200"
        ),
    }


# Teams, roles and staff: members read their teams and colleagues; administrators manage them.
TEAMS_AND_PEOPLE: dict[str, Any] = {
    **api_routes(
        "teams",
        "surveys.team",
        listing="200 200 200 200 200",
        create=("201 403 403 403 403", lambda world: {"name": "East"}),
        foreign_query=lambda world: {"lead": world.south.people["manager"].pk},
        detail="200 200 200 200 200",
        patch="200 403 403 403 403",
        delete="400 403 403 403 403",  # it owns surveys and contacts
    ),
    **api_routes(
        "memberships",
        "surveys.membership",
        listing="200 403 403 403 403",
        create=(
            "201 403 403 403 403",
            lambda world: {"user": world.north.people["viewer"].pk, "team": world.south.team.pk, "role": "viewer"},
        ),
        detail="200 404 404 404 404",
        patch="200 404 404 404 404",
        delete="204 404 404 404 404",
    ),
    **api_routes(
        "staff",
        "auth.user",
        listing="200 200 200 200 200",
        create=("201 403 403 403 403", lambda world: {"username": "newcomer", "email": "new@staff.example"}),
        foreign_query=lambda world: {"team": world.south.team.pk},
        detail="200 200 200 200 200",
        patch="200 403 403 403 403",
        actions={"deactivate": ("200 403 403 403 403", None)},
    ),
}
# Routing rules (team-scoped) and the shared lists the loop picks from.
LOOP_SETTINGS: dict[str, Any] = {
    **api_routes(
        "routing-rules",
        "feedback.routingrule",
        listing="200 200 403 403 200",
        # North's survey, its follow-ups taken in turns by south's team: refused, even for administrators.
        create=(
            "400 400 403 403 403",
            lambda world: {
                "name": "Mixed",
                "survey": world.north.survey.pk,
                "owner_mode": "team",
                "team": world.south.team.pk,
            },
        ),
        foreign_query=lambda world: {"team": world.south.team.pk},
        detail="200 200 404 404 200",
        patch="200 200 404 404 403",
        delete="204 204 404 404 403",
    ),
    **shared_api("themes", "theme", post_data=lambda world: {"name": "Packaging"}),
    **shared_api("root-causes", "rootcause", post_data=lambda world: {"name": "Courier lost it"}),
    **shared_api(
        "business-calendars",
        "businesscalendar",
        post_data=lambda world: {"name": "Shanghai", "timezone": "Asia/Shanghai", "workdays": [0, 1, 2, 3, 4]},
    ),
    **shared_api("health-weights", "healthweight"),
    **shared_api("alert-rules", "alertrule", post_data=lambda world: {"name": "Quiet", "kind": "silence", "days": 30}),
}
# Digests (designers too), invitations, and the privacy records (administrators only).
DIGESTS_AND_RECORDS: dict[str, Any] = {
    **api_routes(
        "digest-subscriptions",
        "feedback.digestsubscription",
        listing="200 200 403 200 200",
        # North's subscription about south's survey: refused, even for administrators.
        create=(
            "400 400 403 400 403",
            lambda world: {
                "name": "Theirs",
                "team": world.north.team.pk,
                "email": "d@north.example",
                "surveys": [world.south.survey.pk],
            },
        ),
        foreign_query=lambda world: {"team": world.south.team.pk},
        detail="200 200 404 200 200",
        patch="200 200 404 200 403",
        delete="204 204 404 204 403",
    ),
    **api_routes(
        "digest-deliveries",
        "feedback.digestdelivery",
        listing="200 200 403 200 200",
        foreign_query=lambda world: {"subscription": world.south.subscription.pk},
        detail="200 200 404 200 200",
    ),
    **api_routes(
        "invitations",
        "surveys.invitation",
        listing="200 200 403 403 200",
        foreign_query=lambda world: {"survey": world.south.survey.pk},
        detail="200 200 404 404 200",
    ),
    **api_routes(
        "contact-erasures", "surveys.contacterasure", listing="200 403 403 403 403", detail="200 404 404 404 404"
    ),
    **api_routes(
        "suppressed-addresses",
        "surveys.suppressedaddress",
        listing="200 403 403 403 403",
        create=("201 403 403 403 403", lambda world: {"address": "gone@example.com"}),
        detail="200 404 404 404 404",
        delete="204 404 404 404 404",
    ),
}


MATRIX: dict[str, Any] = {
    # Public pages: no login; a token or a signed link is the credential.
    "": Public(lambda world: "/", 302, "redirects to the admin login"),
    "s/<str:token>/": Public(lambda world: f"/s/{world.north.invitation.token}/", 302, "a personal survey link"),
    "s/<str:token>/thanks/": Public(
        lambda world: f"/s/{world.north.invitation.token}/thanks/", 302, "thank-you page, through the link's cookie"
    ),
    "s/<str:token>/status/": Public(
        lambda world: f"/s/{world.north.invitation.token}/status/",
        302,
        "the customer's status page, through the cookie",
    ),
    "a/<str:survey_token>/": Public(
        lambda world: f"/a/{world.north.survey.anonymous_token}/", 404, "anonymous link, off for this survey"
    ),
    "u/<str:token>/": Public(
        lambda world: f"/u/{world.north.invitation.token}/", 302, "unsubscribe, through the link's cookie"
    ),
    "digests/<str:signed>/": Public(lambda world: _archive_url(world), 200, "a subscriber's archive, by signed link"),
    "digests/unsubscribe/<str:token>/": Public(
        lambda world: f"/digests/unsubscribe/{world.north.subscription.token}/", 200, "digest unsubscribe"
    ),
    # A link's own pages: the credential is the signed cookie its /s/, /a/ or /u/ URL sets; without it, the
    # invalid-link page.
    "r/<str:key>/": Public(lambda world: f"/r/{_link_key(world)}/", 404, "a link page, without its cookie"),
    "r/<str:key>/thanks/": Public(lambda world: f"/r/{_link_key(world)}/thanks/", 404, "thanks, without the cookie"),
    "r/<str:key>/status/": Public(lambda world: f"/r/{_link_key(world)}/status/", 404, "status, without the cookie"),
    "r/<str:key>/unsubscribe/": Public(
        lambda world: f"/r/{_link_key(world)}/unsubscribe/", 404, "unsubscribe, without the cookie"
    ),
    # Staff pages.
    "staff/dashboard/": Staff(
        lambda world: "/staff/dashboard/",
        get="200 200 200 200 200",
        foreign_query=lambda world: {"survey": world.south.survey.pk},
        foreign="200 400 400 400 400",
    ),
    # Accounts name customers: not for designers; each team sees its own accounts.
    "staff/accounts/at-risk/": Staff(lambda world: "/staff/accounts/at-risk/", get="200 200 200 403 200"),
    "staff/surveys/<int:survey_id>/preview/": Staff(
        lambda world: f"/staff/surveys/{world.north.survey.pk}/preview/", get="200 200 200 404 200"
    ),
    # Admin site pages that belong to no model.
    "admin/": Staff(lambda world: "/admin/", get="200 200 200 200 200"),
    "admin/login/": Staff(lambda world: "/admin/login/", get="302 302 302 302 302", anonymous=(200,)),
    "admin/logout/": Staff(lambda world: "/admin/logout/", get="200 200 200 200 200", method="post"),
    "admin/password_change/": Staff(lambda world: "/admin/password_change/", get="200 200 200 200 200"),
    "admin/password_change/done/": Staff(lambda world: "/admin/password_change/done/", get="200 200 200 200 200"),
    "admin/jsi18n/": Staff(lambda world: "/admin/jsi18n/", get="200 200 200 200 200"),
    "admin/(?P<url>.*)$": Staff(lambda world: "/admin/no-such-page/", get="404 404 404 404 404"),
    # No model has a public page of its own: "view on site" finds nothing for anyone.
    "admin/r/<path:content_type_id>/<path:object_id>/": Staff(
        lambda world: f"/admin/r/{ContentType.objects.get_for_model(world.north.survey).pk}/{world.north.survey.pk}/",
        get="404 404 404 404 404",
    ),
    # Autocomplete lists the caller's rows only (the contacts a distribution may use here).
    "admin/autocomplete/": Staff(
        lambda world: (
            "/admin/autocomplete/?app_label=surveys&model_name=distribution&field_name=contacts&term=customer"
        ),
        get="200 200 200 403 200",
    ),
    "admin/^<app_label>/$": AppIndex(
        {
            "surveys": "200 200 200 200 200",  # designers see the shared touchpoints there
            "feedback": "200 200 200 200 200",
            "auth": "200 200 200 200 200",
        }
    ),
    # Admin of surveys: design and distribution.
    **admin_routes(
        "surveys.survey",
        **TEAM_READS_MANAGERS_EDIT,
        foreign=lambda world: {"name": "Theirs", "team": world.south.team.pk, "title_en": "Theirs"},
    ),
    "admin/surveys/survey/from-template/": AdminAdd(
        "surveys.survey",
        "200 200 403 403 403",
        lambda world: {"template": "nps", "team": world.south.team.pk},
        path="from-template/",
    ),
    **admin_routes(
        "surveys.distribution",
        **MANAGERS_EDIT_VIEWERS_READ,
        foreign=lambda world: {"name": "Mixed", "survey": world.north.survey.pk, "segment": world.south.segment.pk},
    ),
    **admin_routes(
        "surveys.invitation",
        **MANAGERS_EDIT_VIEWERS_READ,
        foreign=lambda world: {"survey": world.north.survey.pk, "contact": world.south.contact.pk},
    ),
    # Admin of customers.
    **admin_routes(
        "surveys.contact",
        **TEAM_READS_MANAGERS_EDIT,
        foreign=lambda world: {"email": "new@south.example", "team": world.south.team.pk, "language": "en"},
    ),
    **admin_routes(
        "surveys.segment",
        **TEAM_READS_MANAGERS_EDIT,
        foreign=lambda world: {"name": "Theirs", "team": world.south.team.pk, "rules": "[]"},
    ),
    **admin_routes(
        "surveys.contactimport",
        **{**TEAM_READS_MANAGERS_EDIT, "post": "403 403 403 404 403"},  # an import is a record: nobody edits it
        foreign=lambda world: {
            "team": world.south.team.pk,
            "file": SimpleUploadedFile("c.csv", b"email\na@b.example\n"),
        },
    ),
    **admin_routes(
        "surveys.account",
        **TEAM_READS_MANAGERS_EDIT,
        foreign=lambda world: {"name": "Theirs", "team": world.south.team.pk},
    ),
    # Journey stages: a shared list.
    **admin_routes("surveys.touchpoint", **SHARED_LIST),
    # Admin of teams, roles, users, tokens and the audit log: administrators only.
    # A team's members read it (and its roles); administrators edit teams.
    **admin_routes("surveys.team", **{**SHARED_LIST, "shared": False}),
    **admin_routes("surveys.membership", **ADMINISTRATORS_ONLY),
    **admin_routes(
        "surveys.auditevent",
        **RECORDS,
    ),
    **admin_routes("auth.group", **ADMINISTRATORS_ONLY),
    # API tokens: revoked, never deleted (the row tells who could act through the API, and until when).
    **admin_routes("surveys.apitoken", **{**ADMINISTRATORS_ONLY, "delete": "403 404 404 404 404"}),
    # Colleagues: everyone with a role sees the people of their own teams; administrators edit them.
    **admin_routes(
        "auth.user",
        changelist="200 200 200 200 200",
        add="200 403 403 403 403",
        change="200 200 200 200 200",
        post="200 403 403 403 403",
        delete="200 403 403 403 403",
        history="200 200 200 200 200",
    ),
    # Everything about one customer, and erasing customers: administrators only.
    "admin/surveys/contact/<int:pk>/export/": AdminObject(
        "surveys.contact",
        "export/",
        "200 403 403 403 403",
        other=403,  # refused before any lookup
    ),
    "admin/surveys/contact/erase/": Staff(
        lambda world: f"/admin/surveys/contact/erase/?ids={world.north.contact.pk}",
        get="200 403 403 403 403",
        post="302 403 403 403 403",
        post_data=lambda world: {"ids": str(world.north.contact.pk)},
    ),
    **admin_routes(
        "surveys.contacterasure",
        **RECORDS,
    ),
    **admin_routes(
        "surveys.suppressedaddress",
        **RECORDS,
    ),
    "admin/auth/user/<id>/password/": AdminObject(
        "auth.user", "password/", "200 403 403 403 403", "200 403 403 403 403"
    ),
    # Admin of feedback.
    **admin_routes(
        "feedback.surveyresponse",
        changelist="200 200 200 403 200",
        add="403 403 403 403 403",
        change="200 200 200 404 200",
        post="403 403 403 404 403",  # responses are what customers said: read, never edited
        delete="200 403 403 404 403",
        history="200 200 200 404 200",
    ),
    **admin_routes(
        "feedback.answer",
        changelist="200 200 200 403 200",
        add="403 403 403 403 403",
        change="200 200 200 404 200",
        post="200 200 200 404 403",  # tagging themes by hand
        delete="200 403 403 404 403",
        history="200 200 200 404 200",
    ),
    **admin_routes("feedback.theme", **SHARED_LIST),
    **admin_routes("feedback.rootcause", **SHARED_LIST),
    # Follow-ups: agents see and work their own (north's is the north agent's).
    **admin_routes(
        "feedback.followup",
        changelist="200 200 200 403 200",
        add="403 403 403 403 403",
        change="200 200 200 404 200",
        post="302 302 302 404 403",
        delete="403 403 403 404 403",
        history="200 200 200 404 200",
    ),
    "admin/feedback/followup/<int:follow_up_id>/act/": AdminObject(
        "feedback.followup",
        "act/",
        "302 302 302 404 302",
        "302 302 302 404 403",
        lambda world: {"action": "note", "text": "Called"},
    ),
    **admin_routes(
        "feedback.followupnotification",
        changelist="200 200 200 403 200",
        add="403 403 403 403 403",
        change="200 200 200 404 200",
        post="302 302 302 404 403",
        delete="200 403 403 404 403",
        history="200 200 200 404 200",
    ),
    # Customer health: the formula's weights and the alert rules are shared settings; alerts follow
    # their account's team and are records (nobody edits them).
    **admin_routes(
        "feedback.healthweight",
        **{**SHARED_LIST, "add": "403 403 403 403 403", "delete": "403 403 403 403 403"},  # a fixed set of inputs
    ),
    **admin_routes("feedback.alertrule", **SHARED_LIST),
    **admin_routes(
        "feedback.healthalert",
        changelist="200 200 200 403 200",
        add="403 403 403 403 403",
        change="200 200 200 404 200",
        post="403 403 403 404 403",
        delete="403 403 403 404 403",
        history="200 200 200 404 200",
    ),
    # Routing rules of a team's surveys: its managers edit them, its viewers read them.
    **admin_routes(
        "feedback.routingrule",
        **MANAGERS_EDIT_VIEWERS_READ,
        foreign=lambda world: {
            "name": "Theirs",
            "position": 0,
            "survey": world.south.survey.pk,
            "priority": "normal",
            "owner_mode": "account_owner",
            "sla_hours": 48,
            "remind_before_hours": 4,
            "escalate_every_hours": 24,
        },
    ),
    **admin_routes("feedback.staffprofile", **ADMINISTRATORS_ONLY),
    **admin_routes("feedback.businesscalendar", **SHARED_LIST),
    # Digests: designers manage their team's; agents have nothing to do with them.
    **admin_routes(
        "feedback.digestsubscription",
        changelist="200 200 403 200 200",
        add="200 200 403 200 403",
        change="200 200 404 200 200",
        post="200 200 404 200 403",
        delete="200 200 404 200 403",
        history="200 200 404 200 200",
        foreign=lambda world: {
            "name": "Theirs",
            "team": world.north.team.pk,
            "email": "d@north.example",
            "surveys": [world.south.survey.pk],
            "cadence": "weekly",
            "weekday": 0,
            "language": "en",
        },
    ),
    **admin_routes(
        "feedback.digestdelivery",
        changelist="200 200 403 200 200",
        add="403 403 403 403 403",
        change="200 200 404 200 200",
        post="302 302 404 302 403",
        delete="200 200 404 200 403",
        history="200 200 404 200 200",
    ),
    # Webhooks: administrators and the team's managers; messages and their attempts are records.
    **admin_routes(
        "feedback.webhooksubscription",
        changelist="200 200 403 403 403",
        add="200 200 403 403 403",
        change="200 200 404 404 404",
        post="200 200 404 404 404",
        delete="200 200 404 404 404",
        history="200 200 404 404 404",
        foreign=lambda world: {
            "team": world.south.team.pk,
            "url": "https://93.184.215.14/hooks",
            "events": ["response.completed"],
        },
    ),
    **admin_routes(
        "feedback.webhookmessage",
        changelist="200 200 403 403 403",
        add="403 403 403 403 403",
        change="200 200 404 404 404",
        post="403 403 404 404 404",
        delete="200 200 404 404 404",
        history="200 200 404 404 404",
    ),
    # The REST API and its documentation.
    "api/v1/": Staff(lambda world: "/api/v1/", get="200 200 200 200 200"),
    # The API's description (no data) is public, as drf-spectacular serves it by default.
    "api/schema/": Staff(lambda world: "/api/schema/", get="200 200 200 200 200", anonymous=(200,)),
    "api/docs/": Staff(lambda world: "/api/docs/", get="200 200 200 200 200", anonymous=(200,)),
    "api/v1/metrics/": Staff(
        lambda world: "/api/v1/metrics/",
        get="200 200 200 200 200",
        foreign_query=lambda world: {"survey": world.south.survey.pk},
        foreign="200 400 400 400 400",
    ),
    **api_routes(
        "surveys",
        "surveys.survey",
        listing="200 200 200 403 200",
        create=(
            "201 400 403 403 403",
            lambda world: {"name": "Theirs", "title_en": "Theirs", "team": world.south.team.pk},
        ),
        foreign_query=lambda world: {"team": world.south.team.pk},
        detail="200 200 200 404 200",
        patch="200 200 403 404 403",
        delete="400 400 403 404 403",  # it has responses: the service refuses, whoever may try
        actions={
            "close": ("200 200 403 404 403", None),
            "publish": ("400 400 403 404 403", None),  # already live
            "duplicate": ("201 201 403 404 403", None),
            "send": (
                "201 201 403 404 403",
                lambda world: {"contact": {"email": "fresh@north.example"}, "idempotency_key": "ticket-1"},
            ),
        },
    ),
    "api/v1/surveys/from-template/": ApiList(
        "surveys/from-template",
        "surveys.survey",
        get="405 405 405 403 405",  # POST only; who may see surveys learns no more than that
        post="201 400 403 403 403",
        body=lambda world: {"template": "csat", "team": world.south.team.pk},
    ),
    **api_routes(
        "responses",
        "feedback.surveyresponse",
        listing="200 200 200 403 200",
        foreign_query=lambda world: {"survey": world.south.survey.pk},
        detail="200 200 200 404 200",
    ),
    **api_routes(
        "distributions",
        "surveys.distribution",
        listing="200 200 403 403 200",
        # North's survey with south's segment: refused, even for administrators.
        create=(
            "400 400 403 403 403",
            lambda world: {"name": "Mixed", "survey": world.north.survey.pk, "segment": world.south.segment.pk},
        ),
        foreign_query=lambda world: {"survey": world.south.survey.pk},
        detail="200 200 404 404 200",
        patch="200 200 404 404 403",
        delete="204 204 404 404 403",
        actions={
            "schedule": ("200 200 404 404 403", None),
            "pause": ("400 400 404 404 403", None),  # a draft cannot pause
            "resume": ("400 400 404 404 403", None),
            "cancel": ("200 200 404 404 403", None),
        },
    ),
    **api_routes(
        "follow-ups",
        "feedback.followup",
        listing="200 200 200 403 200",
        foreign_query=lambda world: {"owner": world.south.people["agent"].pk},
        detail="200 200 200 404 200",
        actions={
            # To south's agent: refused for everyone (administrators by the service).
            "assign": ("400 400 400 404 403", lambda world: {"owner": world.south.people["agent"].pk}),
            "start": ("200 200 200 404 403", None),
            "note": ("200 200 200 404 403", lambda world: {"kind": "call", "text": "Voicemail"}),
            "resolve": (
                "200 200 200 404 403",
                lambda world: {"root_cause": world.shared["rootcause"].pk, "note": "Refunded"},
            ),
            "reopen": ("400 400 400 404 403", lambda world: {"note": "Again"}),  # it is not closed
        },
    ),
    **api_routes(
        "contacts",
        "surveys.contact",
        listing="200 200 200 403 200",
        create=("201 400 403 403 403", lambda world: {"email": "new@south.example", "team": world.south.team.pk}),
        foreign_query=lambda world: {"team": world.south.team.pk},
        detail="200 200 200 404 200",
        patch="200 200 403 404 403",
        delete="204 204 403 404 403",
        actions={"erase": ("200 403 403 404 403", None)},
    ),
    "api/v1/contacts/{pk}/export/": ApiAction(
        "contacts", "surveys.contact", "export", "200 403 403 404 403", method="get"
    ),
    "api/v1/contact-imports/": ApiList(
        "contact-imports",
        "surveys.contactimport",
        get="200 200 200 403 200",
        post="202 400 403 403 403",
        body=lambda world: {"team": world.south.team.pk, "file": SimpleUploadedFile("c.csv", b"email\na@b.example\n")},
        multipart=True,
    ),
    "api/v1/contact-imports/{pk}/": ApiObject("contact-imports", "surveys.contactimport", get="200 200 200 404 200"),
    **api_routes(
        "segments",
        "surveys.segment",
        listing="200 200 200 403 200",
        create=("201 400 403 403 403", lambda world: {"name": "Theirs", "rules": [], "team": world.south.team.pk}),
        foreign_query=lambda world: {"team": world.south.team.pk},
        detail="200 200 200 404 200",
        patch="200 200 403 404 403",
        delete="204 204 403 404 403",
    ),
    # Accounts and their health: customer data of a team, like contacts.
    **api_routes(
        "accounts",
        "surveys.account",
        listing="200 200 200 403 200",
        create=("201 400 403 403 403", lambda world: {"name": "Theirs", "team": world.south.team.pk}),
        foreign_query=lambda world: {"team": world.south.team.pk},
        detail="200 200 200 404 200",
        patch="200 200 403 404 403",
        delete="204 204 403 404 403",
    ),
    "api/v1/accounts/at-risk/": ApiList("accounts/at-risk", "surveys.account", get="200 200 200 403 200"),
    "api/v1/accounts/{pk}/health-history/": ApiAction(
        "accounts", "surveys.account", "health-history", "200 200 200 404 200", method="get"
    ),
    **api_routes(
        "health-scores",
        "feedback.healthscore",
        listing="200 200 200 403 200",
        foreign_query=lambda world: {"account": world.south.account.pk},
        detail="200 200 200 404 200",
    ),
    **api_routes(
        "health-alerts",
        "feedback.healthalert",
        listing="200 200 200 403 200",
        foreign_query=lambda world: {"account": world.south.account.pk},
        detail="200 200 200 404 200",
    ),
    # Touchpoints: a shared list; everyone with a role reads it, administrators edit it.
    "api/v1/touchpoints/": Staff(
        lambda world: "/api/v1/touchpoints/",
        get="200 200 200 200 200",
        post="201 403 403 403 403",
        post_data=lambda world: {"key": "renewal_call", "name": "Renewal call", "position": 9},
    ),
    "api/v1/touchpoints/{pk}/": Staff(
        lambda world: f"/api/v1/touchpoints/{world.shared['touchpoint'].pk}/", get="200 200 200 200 200"
    ),
    **TEAMS_AND_PEOPLE,
    **LOOP_SETTINGS,
    **DIGESTS_AND_RECORDS,
    # API tokens: administrators make, list and revoke them; a team role learns nothing, not even that one exists.
    "api/v1/api-tokens/": Staff(
        lambda world: "/api/v1/api-tokens/",
        get="200 403 403 403 403",
        post="201 403 403 403 403",
        post_data=lambda world: {"name": "CI", "user": world.north.people["agent"].pk},
    ),
    "api/v1/api-tokens/{pk}/": Staff(
        lambda world: f"/api/v1/api-tokens/{world.shared['apitoken'].pk}/", get="200 404 404 404 404"
    ),
    "api/v1/api-tokens/{pk}/revoke/": ApiAction("api-tokens", "surveys.apitoken", "revoke", "200 404 404 404 404"),
    # Webhooks: administrators and the team's managers; nobody else sees them.
    **api_routes(
        "webhook-subscriptions",
        "feedback.webhooksubscription",
        listing="200 200 403 403 403",
        create=(
            "201 400 403 403 403",
            lambda world: {
                "team": world.south.team.pk,
                "url": "https://93.184.215.14/hooks",
                "events": ["response.completed"],
            },
        ),
        foreign_query=lambda world: {"team": world.south.team.pk},
        detail="200 200 404 404 404",
        patch="200 200 404 404 404",
        delete="204 204 404 404 404",
        actions={
            "rotate-secret": ("200 200 404 404 404", None),
            "enable": ("200 200 404 404 404", None),
            "test": ("202 202 404 404 404", None),
        },
    ),
    **api_routes(
        "webhook-messages",
        "feedback.webhookmessage",
        listing="200 200 403 403 403",
        foreign_query=lambda world: {"subscription": world.south.webhook.pk},
        detail="200 200 404 404 404",
    ),
    "api/v1/audit-events/": Staff(lambda world: "/api/v1/audit-events/", get="200 403 403 403 403"),
    "api/v1/audit-events/{pk}/": Staff(
        lambda world: f"/api/v1/audit-events/{world.shared['auditevent'].pk}/", get="200 404 404 404 404"
    ),
}


def _link_key(world: World) -> str:
    from surveys.links import Link, LinkKind

    return Link(LinkKind.INVITATION, world.north.invitation.token).key


def _archive_url(world: World) -> str:
    from feedback.digest_delivery import archive_url

    return archive_url(world.north.subscription).removeprefix("http://testserver.example")


def routes() -> set[str]:
    """Every route of the project, a DRF route's format-suffix twin folded into the route itself."""
    return {readable(route) for route in project_routes()}


def test_every_route_has_an_entry_in_the_permission_matrix() -> None:
    existing = routes()

    assert sorted(existing - MATRIX.keys()) == [], "decide who may use these routes: add them to MATRIX"
    assert sorted(MATRIX.keys() - existing) == [], "these MATRIX entries name routes that no longer exist"


@pytest.mark.parametrize("route", sorted(MATRIX))
def test_each_role_gets_what_the_matrix_says(route: str) -> None:
    caller = Caller(make_world())

    failures = MATRIX[route].check(caller)

    assert failures == []
