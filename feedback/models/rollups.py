"""Daily rollups that the dashboard reads instead of scanning responses on every page view.

Each row is recomputed from the raw tables for one survey and day whenever that day is marked
dirty (a response completed or erased, an invitation sent or opened, a follow-up changed),
so late arrivals and erasures land in the right day and the figures stay exact.
"""

from django.db import models

from surveys.models import Survey


def empty_histogram() -> list[int]:
    return [0] * 11


class RollupDirtyDay(models.Model):
    """A survey-day whose rollups must be recomputed by the next tick."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    marked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["survey", "day"], name="rollup_dirty_once")]

    def __str__(self) -> str:
        return f"{self.survey_id} {self.day}"


class ResponseRollup(models.Model):
    """Completed responses of one survey, day and language, with score counts."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    language = models.CharField(max_length=10)
    responses = models.PositiveIntegerField(default=0)
    promoters = models.PositiveIntegerField(default=0)
    passives = models.PositiveIntegerField(default=0)
    detractors = models.PositiveIntegerField(default=0)
    nps_histogram = models.JSONField(default=empty_histogram)
    csat_n = models.PositiveIntegerField(default=0)
    csat_satisfied = models.PositiveIntegerField(default=0)
    ces_n = models.PositiveIntegerField(default=0)
    ces_sum = models.BigIntegerField(default=0)
    ces_squares = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survey", "day", "language"], name="response_rollup_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.survey_id} {self.day}"


class InvitationRollup(models.Model):
    """Invitations of one survey sent on one day, and how many were opened and answered."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    sent = models.PositiveIntegerField(default=0)
    opened = models.PositiveIntegerField(default=0)
    answered = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["survey", "day"], name="invitation_rollup_unique")]

    def __str__(self) -> str:
        return f"{self.survey_id} {self.day}"


class ThemeRollup(models.Model):
    """Unhappy responses of one survey and day that carry a theme."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    theme = models.ForeignKey("feedback.Theme", on_delete=models.CASCADE, related_name="+")
    unhappy_responses = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["survey", "day", "theme"], name="theme_rollup_unique")]

    def __str__(self) -> str:
        return f"{self.survey_id} {self.day}"


HOUR_BUCKETS = [1, 2, 4, 8, 12, 24, 48, 72, 96, 168, 336, 720]


def empty_buckets() -> list[int]:
    return [0] * (len(HOUR_BUCKETS) + 1)


class LoopRollup(models.Model):
    """Follow-ups of one survey created on one day: how many were resolved, in time, and how fast.

    Durations are kept as counts per hour bucket (HOUR_BUCKETS, then "longer"), so medians can be
    read without scanning follow-ups.
    """

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    created = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    resolved_in_time = models.PositiveIntegerField(default=0)
    first_action_buckets = models.JSONField(default=empty_buckets)
    resolution_buckets = models.JSONField(default=empty_buckets)
    root_causes = models.JSONField(default=dict, help_text="Resolved follow-ups per root cause id.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["survey", "day"], name="loop_rollup_unique")]

    def __str__(self) -> str:
        return f"{self.survey_id} {self.day}"


class SurveySummary(models.Model):
    """A survey's all-time figures by month, added up from its rollups each time they change.

    The default dashboard of a survey reads this one row instead of aggregating every rollup
    day of the survey on each view; it is exactly as fresh as the rollups it is made from.
    """

    survey = models.OneToOneField(Survey, primary_key=True, on_delete=models.CASCADE, related_name="+")
    figures = models.JSONField(default=dict)
    refreshed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.survey_id}"
