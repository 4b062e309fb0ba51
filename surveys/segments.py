"""Segment rules: validating them and turning them into a contact query.

A segment's rules are a JSON list; every rule must hold (AND). Each rule is
``{"field": ..., "op": ..., "value": ...}`` where field is a contact column or
``attributes.<key>``. Rules are validated before they are saved, and again before they are
used: a rule that cannot be understood must never be skipped, since skipping it would widen
the segment and mail people nobody meant to survey.
"""

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Case, Expression, FloatField, Q, When
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.db.models.lookups import Exact, GreaterThanOrEqual, IContains, In, IsNull, LessThanOrEqual, Regex
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from surveys.models import Contact, ContactQuerySet, Language, Segment

TEXT_FIELDS = ("email", "name", "language", "external_id")
DATE_FIELDS = ("created_at", "last_surveyed_at")
ATTRIBUTE_PREFIX = "attributes."
OPS = ("eq", "ne", "in", "contains", "gte", "lte", "exists", "not_exists")
OPS_BY_KIND = {
    "text": ("eq", "ne", "in", "contains", "exists", "not_exists"),
    "date": ("gte", "lte", "exists", "not_exists"),
    "attribute": OPS,
}
MAX_RULES = 50
MAX_IN_VALUES = 1000
# Numbers stored as text (as a CSV import stores them) are compared as numbers only when they
# look like one; anything else simply does not match instead of failing the whole query.
NUMBER_PATTERN = r"^\s*-?[0-9]+(\.[0-9]+)?\s*$"


def segment_rules_validate(*, rules: Any) -> None:
    """Raise ValidationError with one message per bad rule; return None when all are usable."""
    if not isinstance(rules, list):
        raise ValidationError(_("Rules must be a list of rules."), code="invalid")
    if len(rules) > MAX_RULES:
        raise ValidationError(_("A segment can have at most %(max)s rules.") % {"max": MAX_RULES}, code="invalid")
    messages = []
    for number, rule in enumerate(rules, start=1):
        problem = _rule_problem(rule)
        if problem:
            messages.append(
                ValidationError(_("Rule %(number)s: %(problem)s"), params={"number": number, "problem": problem})
            )
    if messages:
        raise ValidationError(messages)


def segment_contacts(*, segment: Segment) -> ContactQuerySet:
    """The contacts of the segment's team its rules select right now (raises ValidationError on bad rules)."""
    segment_rules_validate(rules=segment.rules)
    condition = Q(team_id=segment.team_id) if segment.team_id else Q(team__isnull=True)
    for rule in segment.rules:
        condition &= _rule_q(rule)
    return Contact.objects.filter(condition)


def _kind(field: Any) -> str | None:
    if not isinstance(field, str):
        return None
    if field in TEXT_FIELDS:
        return "text"
    if field in DATE_FIELDS:
        return "date"
    if field.startswith(ATTRIBUTE_PREFIX) and field.removeprefix(ATTRIBUTE_PREFIX).strip():
        return "attribute"
    return None


def _rule_problem(rule: Any) -> str | None:
    if not isinstance(rule, dict):
        return _('must be an object like {"field": "language", "op": "eq", "value": "en"}.')
    unknown = sorted(set(rule) - {"field", "op", "value"})
    if unknown:
        return _("unknown key %(keys)s; a rule has only field, op and value.") % {"keys": ", ".join(unknown)}
    field, op, value = rule.get("field"), rule.get("op"), rule.get("value")
    kind = _kind(field)
    if kind is None:
        choices = ", ".join([*TEXT_FIELDS, *DATE_FIELDS])
        return _("unknown field %(field)s; use one of %(choices)s or attributes.<key>.") % {
            "field": json.dumps(field, ensure_ascii=False),
            "choices": choices,
        }
    if op not in OPS_BY_KIND[kind]:
        return _("%(field)s cannot use op %(op)s; use one of %(ops)s.") % {
            "field": field,
            "op": json.dumps(op, ensure_ascii=False),
            "ops": ", ".join(OPS_BY_KIND[kind]),
        }
    if op in ("exists", "not_exists"):
        return None
    return _value_problem(field=field, kind=kind, op=op, value=value)


def _value_problem(*, field: str, kind: str, op: str, value: Any) -> str | None:
    if op == "in":
        if not isinstance(value, list) or not value:
            return _("op in needs a non-empty list of values.")
        if len(value) > MAX_IN_VALUES:
            return _("op in takes at most %(max)s values.") % {"max": MAX_IN_VALUES}
        problems = [_scalar_problem(field=field, kind=kind, value=item) for item in value]
        return next((problem for problem in problems if problem), None)
    if op == "contains":
        if not isinstance(value, str) or not value:
            return _("op contains needs a non-empty text value.")
        return None
    if kind == "date":
        if not isinstance(value, str) or _parse_date(value) is None:
            return _("value must be an ISO date such as 2025-01-31 or 2025-01-31T09:00:00+00:00.")
        return None
    if kind == "attribute" and op in ("gte", "lte"):
        if not _is_number(value) and not isinstance(value, str):
            return _("op %(op)s needs a number or a text value (ISO dates compare correctly as text).") % {"op": op}
        return None
    return _scalar_problem(field=field, kind=kind, value=value)


def _scalar_problem(*, field: str, kind: str, value: Any) -> str | None:
    if kind == "attribute":
        if not (isinstance(value, str | bool) or _is_number(value)):
            return _("value must be text, a number or true/false.")
        return None
    if not isinstance(value, str):
        return _("value must be text.")
    if field == "language" and value not in Language.values:
        return _("unknown language %(value)s; use one of %(choices)s.") % {
            "value": json.dumps(value, ensure_ascii=False),
            "choices": ", ".join(Language.values),
        }
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _parse_date(value: str) -> tuple[dt.datetime, bool] | None:
    """The moment an ISO string names, and whether it was a whole day (a date without a time)."""
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            day = dt.date.fromisoformat(value)
            return timezone.make_aware(dt.datetime.combine(day, dt.time.min)), True
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return (moment if timezone.is_aware(moment) else timezone.make_aware(moment)), False


def _rule_q(rule: dict[str, Any]) -> Q:
    field, op, value = rule["field"], rule["op"], rule.get("value")
    kind = _kind(field)
    if kind == "attribute":
        return _attribute_q(key=field.removeprefix(ATTRIBUTE_PREFIX), op=op, value=value)
    if kind == "date":
        return _date_q(field=field, op=op, value=value)
    builders: dict[str, Callable[[], Q]] = {
        "eq": lambda: Q(**{field: value}),
        "ne": lambda: ~Q(**{field: value}),
        "in": lambda: Q(**{f"{field}__in": value}),
        "contains": lambda: Q(**{f"{field}__icontains": value}),
        "exists": lambda: ~Q(**{field: ""}),
        "not_exists": lambda: Q(**{field: ""}),
    }
    return builders[op]()


def _date_q(*, field: str, op: str, value: str | None) -> Q:
    if op == "exists":
        return Q(**{f"{field}__isnull": False})
    if op == "not_exists":
        return Q(**{f"{field}__isnull": True})
    moment, whole_day = _parse_date(value or "") or (None, False)
    if op == "gte":
        return Q(**{f"{field}__gte": moment})
    # "lte 2025-01-31" means up to the end of that day, not its first microsecond.
    if whole_day and moment is not None:
        return Q(**{f"{field}__lt": moment + dt.timedelta(days=1)})
    return Q(**{f"{field}__lte": moment})


def _as_text(value: Any) -> str:
    """The text PostgreSQL's ->> gives for a JSON scalar, so 5, true and "5" compare as stored."""
    return value if isinstance(value, str) else json.dumps(value)


def _attribute_q(*, key: str, op: str, value: Any) -> Q:
    # KeyTextTransform takes the key as a parameter, so keys with dots, spaces or "__" are safe.
    text: Expression = KeyTextTransform(key, "attributes")
    if op == "exists":
        return Q(attributes__has_key=key)
    if op == "not_exists":
        return ~Q(attributes__has_key=key)
    if op == "eq":
        return Q(Exact(text, _as_text(value)))
    if op == "ne":
        # A contact without the key does not equal the value either.
        return ~Q(Exact(text, _as_text(value))) | Q(IsNull(text, True))
    if op == "in":
        return Q(In(text, [_as_text(item) for item in value]))
    if op == "contains":
        return Q(IContains(text, value))
    compare = GreaterThanOrEqual if op == "gte" else LessThanOrEqual
    if _is_number(value):
        # CASE guarantees the cast only runs on text that looks like a number.
        number = Case(When(Regex(text, NUMBER_PATTERN), then=Cast(text, FloatField())), output_field=FloatField())
        return Q(compare(number, float(value)))
    return Q(compare(text, value))
