"""Form fields shared by the admin forms."""

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.fields import InvalidJSONInput

from vocsite.jsonsafety import json_problem, json_problem_message


class SafeJSONFormField(forms.JSONField):
    """A JSON field that explains, rather than fails on, what PostgreSQL cannot store or Python cannot parse."""

    def to_python(self, value: Any) -> Any:
        try:
            converted = super().to_python(value)
        except RecursionError:
            raise ValidationError(self._message("depth"), code="invalid") from None
        problem = json_problem(converted, max_depth=settings.API_JSON_MAX_DEPTH)
        if problem:
            raise ValidationError(self._message(problem), code="invalid")
        return converted

    def bound_data(self, data: Any, initial: Any) -> Any:
        """What the form shows again after an error: the text as typed when it cannot be stored."""
        try:
            bound = super().bound_data(data, initial)
        except RecursionError:
            return InvalidJSONInput(data)
        if not isinstance(bound, InvalidJSONInput) and json_problem(bound, max_depth=settings.API_JSON_MAX_DEPTH):
            return InvalidJSONInput(data)
        return bound

    def _message(self, problem: str) -> str:
        return json_problem_message(problem, max_depth=settings.API_JSON_MAX_DEPTH)


# For ModelAdmin.formfield_overrides: every JSON column of an admin form gets the safe field.
SAFE_FORMFIELDS: dict[type[models.Field], dict[str, Any]] = {models.JSONField: {"form_class": SafeJSONFormField}}
