"""Schemathesis sends generated requests, valid and invalid, to every operation of the schema: no 5xx.

A live server (pytest-django's, on the test database in PostgreSQL) answers real HTTP. Each
operation gets a bounded number of examples, drawn the same way on every run (derandomized),
once with free path ids and once aimed at a row that exists, so actions run on real objects.
Emails go to Django's in-memory outbox (the test settings), never out.
"""

from collections.abc import Callable
from typing import Any

import pytest
import requests
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from tests.conftest import starting_data_ensure
from tests.routes import api_endpoints
from tests.teams import World, make_world
from tests.tokens import token_for

# Whoever runs the test suite fuzzes the whole API, within about a minute per caller on 2 cores.
EXAMPLES = {"administrator": 6, "viewer": 2}

# The row each resource's {id} names when the example aims at one that exists.
ROWS: dict[str, Callable[[World], Any]] = {
    "surveys": lambda world: world.north.survey.pk,
    "responses": lambda world: world.north.response.pk,
    "distributions": lambda world: world.north.distribution.pk,
    "follow-ups": lambda world: world.north.follow_up.pk,
    "contacts": lambda world: world.north.contact.pk,
    "contact-imports": lambda world: world.north.contact_import.pk,
    "segments": lambda world: world.north.segment.pk,
    "audit-events": lambda world: world.shared["auditevent"].pk,
    "accounts": lambda world: world.north.account.pk,
    "health-scores": lambda world: world.north.health.pk,
    "health-alerts": lambda world: world.north.alert.pk,
    "touchpoints": lambda world: world.shared["touchpoint"].pk,
    "api-tokens": lambda world: world.shared["apitoken"].pk,
    "teams": lambda world: world.north.team.pk,
    "memberships": lambda world: world.shared["membership"].pk,
    "staff": lambda world: world.north.people["agent"].pk,
    "themes": lambda world: world.shared["theme"].pk,
    "root-causes": lambda world: world.shared["rootcause"].pk,
    "business-calendars": lambda world: world.shared["businesscalendar"].pk,
    "routing-rules": lambda world: world.north.rule.pk,
    "digest-subscriptions": lambda world: world.north.subscription.pk,
    "digest-deliveries": lambda world: world.north.delivery.pk,
    "health-weights": lambda world: world.shared["healthweight"].pk,
    "alert-rules": lambda world: world.shared["alertrule"].pk,
    "invitations": lambda world: world.north.invitation.pk,
    "contact-erasures": lambda world: world.shared["contacterasure"].pk,
    "suppressed-addresses": lambda world: world.shared["suppressedaddress"].pk,
    "webhook-subscriptions": lambda world: world.north.webhook.pk,
    "webhook-messages": lambda world: world.north.webhook_message.pk,
}


@pytest.fixture
def fuzzed(transactional_db: Any, live_server: Any, settings: Any) -> tuple[World, str]:
    """A world committed for the live server to see, and rate limits the fuzzing does not reach.

    The rows migrations seed (alert rules, themes, weights) are put back first: an earlier
    transactional test's flush removed them.
    """
    settings.API_RATES = dict.fromkeys(settings.API_RATES, "1000000/minute")
    starting_data_ensure()
    return make_world(), live_server.url


def existing_id(world: World, path: str) -> Any:
    """The id of a real row for an operation's {id}, or None when the path names none."""
    parts = path.strip("/").split("/")
    if len(parts) < 4 or not parts[3].startswith("{"):
        return None
    row = ROWS.get(parts[2])
    return row(world) if row is not None else None


def fuzz_operation(operation: Any, *, world: World, base_url: str, token: str, examples: int) -> list[str]:
    """Every generated request for one operation; the failures, one line each."""
    headers = {"Authorization": f"Bearer {token}"}
    aimed = existing_id(world, operation.path)
    failures: list[str] = []
    # Closed at the end, so the server's threads end and hand back their database connections.
    with requests.Session() as session:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for path_parameters in [None, {"id": aimed}] if aimed is not None else [None]:
                failures += fuzz_examples(operation, session, headers, mode, path_parameters, base_url, examples)
    return failures


def fuzz_examples(
    operation: Any,
    session: requests.Session,
    headers: dict[str, str],
    mode: GenerationMode,
    path_parameters: dict[str, Any] | None,
    base_url: str,
    examples: int,
) -> list[str]:
    """One strategy's examples: the first failure found, or nothing."""
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        response = case.call(base_url=base_url, session=session, headers=headers, timeout=60)
        case.validate_response(response, checks=[not_a_server_error], headers=headers)

    try:
        run()
    except (Exception, BaseExceptionGroup) as failure:  # reported; the next operation runs
        return [f"{operation.label} ({mode.value}): {str(failure).strip()[:2000]}"]
    return []


def fuzz(world: World, base_url: str, *, role: str) -> list[str]:
    schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
    token = token_for(world.user(role))
    failures = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40
    for operation in operations:
        failures += fuzz_operation(operation, world=world, base_url=base_url, token=token, examples=EXAMPLES[role])
    return failures


@pytest.mark.parametrize("role", sorted(EXAMPLES))
def test_no_generated_request_gets_a_server_error(fuzzed: tuple[World, str], role: str) -> None:
    world, base_url = fuzzed

    failures = fuzz(world, base_url, role=role)

    assert failures == [], "\n\n".join(failures)


def test_every_resource_with_object_routes_has_a_row_to_aim_at() -> None:
    resources = {route.split("/")[2] for route in api_endpoints() if "{pk}" in route}

    assert resources - set(ROWS) == set(), "add the resource to ROWS, so its actions run on a real object"
