"""The OpenAPI schema describes the whole API: every route and method, with no warning while it is made."""

import re
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator

from tests.routes import api_endpoints

# The API root only links to the resources; it is a page for people browsing, not an operation.
NOT_OPERATIONS = {"api/v1/"}


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def schema_endpoints(schema: dict[str, Any]) -> dict[str, set[str]]:
    """Each path of the schema, spelled as the routes are, with its methods."""
    return {
        re.sub(r"\{[^}]+\}", "{pk}", path.lstrip("/")): set(operations) - {"parameters"}
        for path, operations in schema["paths"].items()
    }


def test_every_api_route_is_in_the_schema_with_every_method_it_answers(schema: dict[str, Any]) -> None:
    described = schema_endpoints(schema)

    missing = {
        route: sorted(methods - described.get(route, set()))
        for route, methods in api_endpoints().items()
        if route not in NOT_OPERATIONS and methods - described.get(route, set())
    }

    assert missing == {}, "describe these in the schema (drf-spectacular: @extend_schema)"
    assert "api/v1/api-tokens/{pk}/revoke/" in described


def test_the_schema_names_no_operation_the_api_does_not_have(schema: dict[str, Any]) -> None:
    routes = api_endpoints()

    extra = {
        route: methods for route, methods in schema_endpoints(schema).items() if methods - routes.get(route, set())
    }

    assert extra == {}


def test_no_list_is_answered_as_a_bare_array(schema: dict[str, Any]) -> None:
    bare = [
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        for answer in operation.get("responses", {}).values()
        for content in (answer.get("content") or {}).values()
        if content.get("schema", {}).get("type") == "array"
    ]

    assert bare == [], "paginate lists: a page object with count, next, previous and results"


def test_the_schema_is_generated_and_validated_without_a_warning(tmp_path: Path) -> None:
    out, err = StringIO(), StringIO()

    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"), stdout=out, stderr=err
    )

    assert err.getvalue() == ""
    assert "/api/v1/api-tokens/" in (tmp_path / "schema.yaml").read_text()


def test_the_token_header_is_described_as_bearer(schema: dict[str, Any]) -> None:
    assert schema["components"]["securitySchemes"]["apiToken"]["scheme"] == "bearer"
