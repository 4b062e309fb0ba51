"""What comes back: survey responses and their answers."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from surveys.models import Contact, Invitation, Language, Question, Survey


class SurveyResponseQuerySet(models.QuerySet["SurveyResponse"]):
    def completed(self) -> "SurveyResponseQuerySet":
        """Responses the respondent finished."""
        return self.filter(status=SurveyResponse.Status.COMPLETED)


class SurveyResponse(models.Model):
    """One person's answers to one survey, through one invitation."""

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")

    invitation = models.OneToOneField(Invitation, on_delete=models.CASCADE, related_name="response")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    survey_version = models.PositiveIntegerField(_("survey version"))
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="responses")
    language = models.CharField(_("language"), max_length=10, choices=Language.choices, default=Language.ENGLISH)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.IN_PROGRESS, db_index=True
    )
    current_page = models.PositiveSmallIntegerField(default=1)
    score = models.SmallIntegerField(_("score"), null=True, blank=True, help_text=_("The first scored answer."))
    started_at = models.DateTimeField(_("started"))
    updated_at = models.DateTimeField(_("last saved"))
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    # Set once the routing rules have looked at the completed response (see feedback.routing).
    routed_at = models.DateTimeField(_("routed"), null=True, blank=True)
    # A later response of a contact whose earlier follow-up is still open joins that follow-up.
    attached_to = models.ForeignKey(
        "feedback.FollowUp",
        verbose_name=_("attached to follow-up"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="attached_responses",
    )

    objects = SurveyResponseQuerySet.as_manager()

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        ordering = ["-started_at"]
        constraints = [
            # The OneToOneField's unique index is the one response per invitation rule; this
            # names the rule's companion: a completed response always has its time.
            models.CheckConstraint(
                condition=~models.Q(status="completed") | models.Q(completed_at__isnull=False),
                name="response_completed_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["survey", "completed_at"], name="response_survey_completed"),
            models.Index(fields=["survey", "score"], name="response_survey_score"),
        ]

    def __str__(self) -> str:
        return f"{self.survey} #{self.pk}"

    def is_completed(self) -> bool:
        return self.status == self.Status.COMPLETED


class Sentiment(models.TextChoices):
    NEGATIVE = "negative", _("Negative")
    NEUTRAL = "neutral", _("Neutral")
    POSITIVE = "positive", _("Positive")


class Theme(models.Model):
    """What an answer is about ("billing", "wait times"), found by keywords or tagged by staff."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100, blank=True)
    keywords = models.JSONField(
        _("keywords"),
        default=list,
        blank=True,
        help_text=_("Words or phrases, English or Chinese; an answer containing one gets this theme."),
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_themes",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("theme")
        verbose_name_plural = _("themes")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(merged_into=models.F("pk")), name="theme_not_merged_into_itself"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def label(self, language: str) -> str:
        return self.name_zh if language == Language.CHINESE and self.name_zh else self.name


class AnswerQuerySet(models.QuerySet["Answer"]):
    def free_text(self) -> "AnswerQuerySet":
        """Answers that carry text to analyse."""
        return self.exclude(text="")

    def untagged(self) -> "AnswerQuerySet":
        """Free-text answers not analysed yet (their task was lost, or has not run)."""
        return self.free_text().filter(analysed_at__isnull=True)


class Answer(models.Model):
    """An answer to one question. It points at the question row of the version answered."""

    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    number = models.SmallIntegerField(_("score"), null=True, blank=True)
    text = models.TextField(_("text"), blank=True)
    choices = models.JSONField(_("chosen"), default=list, blank=True)
    answered_at = models.DateTimeField(_("answered"))
    # Filled by the tagging task (feedback.tagging) for free-text answers.
    text_language = models.CharField(_("text language"), max_length=10, blank=True)
    polarity = models.FloatField(_("polarity"), null=True, blank=True)
    sentiment = models.CharField(_("sentiment"), max_length=10, choices=Sentiment.choices, blank=True, db_index=True)
    key_phrases = models.JSONField(_("key phrases"), default=list, blank=True)
    analyser = models.CharField(_("analyser"), max_length=50, blank=True)
    analysed_at = models.DateTimeField(_("analysed"), null=True, blank=True, db_index=True)
    themes = models.ManyToManyField(Theme, through="AnswerTheme", related_name="answers", blank=True)

    objects = AnswerQuerySet.as_manager()

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="answer_unique_per_question"),
        ]

    def __str__(self) -> str:
        return f"{self.question.key}: {self.display_value()}"

    @property
    def value(self) -> int | str | list[str] | None:
        """The answer as the rules module sees it: a score, a text or chosen values."""
        if self.number is not None:
            return self.number
        if self.question.kind == Question.Kind.SINGLE_CHOICE:
            return self.choices[0] if self.choices else None
        if self.question.kind == Question.Kind.MULTIPLE_CHOICE:
            return list(self.choices)
        return self.text or None

    def display_value(self, language: str = Language.ENGLISH) -> str:
        """The answer as a person reads it: a score, chosen labels or the text."""
        if self.number is not None:
            return str(self.number)
        if self.choices:
            return ", ".join(self.question.choice_label(value, language) for value in self.choices)
        return self.text


class AnswerTheme(models.Model):
    """One theme on one answer, found by a keyword or set by a person."""

    class Source(models.TextChoices):
        KEYWORD = "keyword", _("Keyword")
        MANUAL = "manual", _("Tagged by staff")

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="answer_themes")
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="answer_themes")
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.KEYWORD)
    tagged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("answer theme")
        verbose_name_plural = _("answer themes")
        constraints = [models.UniqueConstraint(fields=["answer", "theme"], name="answer_theme_unique")]

    def __str__(self) -> str:
        return f"{self.answer_id}: {self.theme}"
