"""Survey design: surveys and their versioned questions, in English and Simplified Chinese."""

import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from surveys import rules
from surveys.models.teams import Team


def new_token() -> str:
    """An unguessable URL token: 192 random bits, URL-safe (32 characters)."""
    return secrets.token_urlsafe(24)


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    CHINESE = "zh-hans", _("Simplified Chinese")


def localized(obj: models.Model, field: str, language: str) -> str:
    """The Chinese text of a bilingual field when asked for and present, else the English."""
    if language == Language.CHINESE:
        chinese = getattr(obj, f"{field}_zh")
        if chinese:
            return chinese
    return getattr(obj, f"{field}_en")


class Touchpoint(models.Model):
    """A stage of the customer journey a survey asks about (onboarding, support, ...); the list is editable."""

    key = models.SlugField(_("key"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100, blank=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("touchpoint")
        verbose_name_plural = _("touchpoints")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name

    def label(self, language: str) -> str:
        return self.name_zh if language == Language.CHINESE and self.name_zh else self.name


class SurveyQuerySet(models.QuerySet["Survey"]):
    def live(self) -> "SurveyQuerySet":
        """Surveys that accept answers."""
        return self.filter(status=Survey.Status.LIVE)


class Survey(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        LIVE = "live", _("Live")
        CLOSED = "closed", _("Closed")

    name = models.CharField(_("internal name"), max_length=200)
    # The team that owns the survey, and through it its distributions, responses and follow-ups.
    # Empty: only administrators see it (surveys made before teams existed start that way).
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="surveys",
        help_text=_("The team that owns this survey and its feedback. Empty: administrators only."),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    version = models.PositiveIntegerField(
        _("current version"),
        default=1,
        help_text=_("Editing the questions of a survey that has responses starts a new version."),
    )
    title_en = models.CharField(_("title (English)"), max_length=200)
    title_zh = models.CharField(_("title (Chinese)"), max_length=200, blank=True)
    intro_en = models.TextField(_("introduction (English)"), blank=True)
    intro_zh = models.TextField(_("introduction (Chinese)"), blank=True)
    thank_you_en = models.TextField(_("thank-you message (English)"), blank=True)
    thank_you_zh = models.TextField(_("thank-you message (Chinese)"), blank=True)
    anonymous_link_enabled = models.BooleanField(
        _("anonymous link enabled"),
        default=False,
        help_text=_("Anyone with the anonymous link can answer, without a personal invitation."),
    )
    anonymous_token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    touchpoint = models.ForeignKey(
        Touchpoint,
        verbose_name=_("touchpoint"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="surveys",
        help_text=_("The stage of the customer journey this survey asks about; metrics and digests can be cut by it."),
    )
    min_days_between_surveys = models.PositiveSmallIntegerField(
        _("minimum days between surveys"),
        null=True,
        blank=True,
        help_text=_("Do not send this survey to a contact surveyed more recently than this. Empty: the site default."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SurveyQuerySet.as_manager()

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    def accepts_answers(self) -> bool:
        return self.status == self.Status.LIVE

    def current_questions(self) -> "QuestionQuerySet":
        return Question.objects.of_version(survey_id=self.pk, version=self.version)

    def anonymous_url(self) -> str:
        return settings.SITE_URL + reverse("feedback:anonymous", args=[self.anonymous_token])


class QuestionQuerySet(models.QuerySet["Question"]):
    def of_version(self, *, survey_id: int, version: int) -> "QuestionQuerySet":
        """The questions of one survey version, in page and position order."""
        return self.filter(survey_id=survey_id, version=version).order_by("page", "position", "pk")


class Question(models.Model):
    """One question of one survey version. Rows of versions that have answers never change."""

    class Kind(models.TextChoices):
        NPS = "nps", _("Net Promoter Score (0-10)")
        CSAT = "csat", _("Customer satisfaction (1-5)")
        CES = "ces", _("Customer effort (1-7)")
        STARS = "stars", _("Star rating (1-5)")
        SINGLE_CHOICE = "single_choice", _("Single choice")
        MULTIPLE_CHOICE = "multiple_choice", _("Multiple choice")
        SHORT_TEXT = "short_text", _("Short text")
        LONG_TEXT = "long_text", _("Long text")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    version = models.PositiveIntegerField(default=1)
    key = models.SlugField(
        _("key"),
        max_length=50,
        help_text=_("Stays the same across versions, so answers to 'the same question' can be compared."),
    )
    page = models.PositiveSmallIntegerField(_("page"), default=1)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    text_en = models.CharField(_("question (English)"), max_length=500)
    text_zh = models.CharField(_("question (Chinese)"), max_length=500, blank=True)
    help_en = models.CharField(_("help text (English)"), max_length=500, blank=True)
    help_zh = models.CharField(_("help text (Chinese)"), max_length=500, blank=True)
    required = models.BooleanField(_("required"), default=False)
    choices = models.JSONField(
        _("choices"),
        default=list,
        blank=True,
        help_text=_("For choice questions: a list of {value, en, zh}."),
    )
    show_if_key = models.SlugField(
        _("show only if question"),
        max_length=50,
        blank=True,
        help_text=_("Key of a question on an earlier page; empty to always show."),
    )
    show_if_min = models.SmallIntegerField(_("...scored at least"), null=True, blank=True)
    show_if_max = models.SmallIntegerField(_("...scored at most"), null=True, blank=True)
    show_if_values = models.JSONField(_("...or chose one of"), default=list, blank=True)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["version", "page", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "version", "key"], name="question_unique_key_per_version"),
            models.CheckConstraint(
                condition=models.Q(show_if_min__isnull=True)
                | models.Q(show_if_max__isnull=True)
                | models.Q(show_if_min__lte=models.F("show_if_max")),
                name="question_show_if_range_ordered",
            ),
        ]
        indexes = [models.Index(fields=["survey", "version", "page", "position"], name="question_version_order")]

    def __str__(self) -> str:
        return f"{self.key}: {self.text_en}"

    @property
    def scale(self) -> tuple[int, int] | None:
        return rules.scale_of(self.kind)

    def is_scored(self) -> bool:
        return self.scale is not None

    def text(self, language: str) -> str:
        return localized(self, "text", language)

    def help(self, language: str) -> str:
        return localized(self, "help", language)

    def choice_label(self, value: str, language: str) -> str:
        for choice in self.choices:
            if str(choice["value"]) == value:
                return (choice.get("zh") if language == Language.CHINESE else None) or choice.get("en") or value
        return value

    def localized_choices(self, language: str) -> list[tuple[str, str]]:
        return [(str(choice["value"]), self.choice_label(str(choice["value"]), language)) for choice in self.choices]
