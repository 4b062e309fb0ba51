"""Admin forms for survey design: friendly editing of choices and branch conditions."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from surveys import catalog, rules
from surveys.models import Question, Team
from surveys.services import DESIGN_PROBLEM_MESSAGES


class ChoicesField(forms.CharField):
    """Choices typed one per line as `value | English | 中文` (value and Chinese optional)."""

    widget = forms.Textarea(attrs={"rows": 4, "cols": 60})

    def prepare_value(self, value: Any) -> str:
        if isinstance(value, list):
            return "\n".join(
                " | ".join([c.get("value", ""), c.get("en", ""), c.get("zh", "")]).rstrip(" |") for c in value
            )
        return value or ""

    def to_python(self, value: Any) -> list[dict[str, str]]:
        text = super().to_python(value)
        choices = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            parts = [part.strip() for part in line.split("|")]
            if len(parts) > 3:
                raise ValidationError(_("Line %(number)s has more than three parts."), params={"number": number})
            if len(parts) == 1:
                parts = [slugify(parts[0]) or str(number), parts[0]]
            value, english, *rest = parts
            if not value or not english:
                raise ValidationError(
                    _("Line %(number)s needs a value and an English label."), params={"number": number}
                )
            choices.append({"value": slugify(value) or value, "en": english, "zh": rest[0] if rest else ""})
        return choices


class ValuesField(forms.CharField):
    """A comma-separated list of choice values."""

    def prepare_value(self, value: Any) -> str:
        return ", ".join(value) if isinstance(value, list) else (value or "")

    def to_python(self, value: Any) -> list[str]:
        return [item.strip() for item in (super().to_python(value) or "").split(",") if item.strip()]


class QuestionForm(forms.ModelForm):
    choices = ChoicesField(
        label=_("choices"),
        required=False,
        help_text=_("One per line: value | English | 中文"),
    )
    show_if_values = ValuesField(
        label=_("...or chose one of"), required=False, help_text=_("Choice values, separated by commas.")
    )

    class Meta:
        model = Question
        fields = [
            "page",
            "position",
            "key",
            "kind",
            "required",
            "text_en",
            "text_zh",
            "help_en",
            "help_zh",
            "choices",
            "show_if_key",
            "show_if_min",
            "show_if_max",
            "show_if_values",
        ]


class QuestionFormSet(forms.BaseInlineFormSet):
    """The questions of the survey's current version, checked together for design mistakes."""

    def get_queryset(self) -> Any:
        return super().get_queryset().filter(version=self.instance.version)

    def save_new(self, form: forms.ModelForm, commit: bool = True) -> Question:
        form.instance.version = self.instance.version
        return super().save_new(form, commit=commit)

    def clean(self) -> None:
        super().clean()
        kept = [
            form
            for form in self.forms
            if form.is_valid() and form.cleaned_data and not form.cleaned_data.get("DELETE", False)
        ]
        problems = rules.question_set_problems([form.instance for form in kept])
        for form in kept:
            code = problems.get(form.instance.key)
            if code:
                form.add_error(None, DESIGN_PROBLEM_MESSAGES[code])
        if problems:
            raise ValidationError(_("Please fix the questions marked below."))


class TemplateChoiceForm(forms.Form):
    template = forms.ChoiceField(
        label=_("template"),
        choices=[(key, spec["label"]) for key, spec in catalog.TEMPLATES.items()],
        widget=forms.RadioSelect,
    )
    name = forms.CharField(label=_("internal name"), max_length=200, required=False)
    team = forms.ModelChoiceField(
        label=_("team"),
        queryset=Team.objects.none(),
        required=False,
        help_text=_("The team that owns the survey and its feedback. Empty: administrators only."),
    )

    def __init__(self, *args: Any, teams: Any, team_required: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
        self.fields["team"].required = team_required
