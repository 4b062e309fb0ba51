"""Alerts before the complaint: rules over accounts that open a proactive follow-up for the owner.

A firing is a HealthAlert row, unique per (rule, account, period), created before anything else
happens: a rerun, a second worker or the next recompute finds it and does nothing. The follow-up
opens through the closed loop (routing.follow_up_open): the account owner (else the fallback
owner), the rule's SLA, reminders and escalation like any other. An account that already has an
open proactive follow-up gets the new alert attached to it, not a second case.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, Max, OuterRef, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from feedback import routing
from feedback.health import formula
from feedback.health.services import AccountHealth
from feedback.models import (
    AlertRule,
    Answer,
    FollowUp,
    FollowUpEvent,
    HealthAlert,
    HealthHistory,
    HealthWeight,
    SurveyResponse,
)
from feedback.models.health import alert_summary, period_bucket
from surveys.models import Account

logger = logging.getLogger(__name__)

Kind = AlertRule.Kind
AT_RISK_BANDS = {formula.AT_RISK, formula.CRITICAL}


@dataclass(frozen=True)
class Firing:
    rule: AlertRule
    account_id: int
    period: Any
    details: dict[str, Any]


def health_alerts_check(*, changes: list[AccountHealth], now: datetime) -> int:
    """Run the active rules over freshly recomputed accounts; returns how many alerts fired."""
    rules = list(AlertRule.objects.filter(active=True).select_related("calendar"))
    if not rules or not changes:
        return 0
    today = timezone.localtime(now).date()
    by_account = {change.account_id: change for change in changes}
    accounts = Account.objects.select_related("owner").in_bulk(list(by_account))
    firings: list[Firing] = []
    for rule in rules:
        if rule.kind == Kind.HEALTH_DROP:
            firings += _drops(rule, by_account, now=now)
        elif rule.kind == Kind.DETRACTORS:
            firings += _detractors(rule, by_account, now=now)
        elif rule.kind == Kind.SILENCE:
            firings += _silences(rule, by_account, now=now)
        elif rule.kind == Kind.RENEWAL_AT_RISK:
            firings += _renewals(rule, by_account, accounts, today=today)
    if not firings:
        return 0
    recent = _recent_alerts(firings, now=now)
    fired = 0
    for firing in firings:
        last = recent.get((firing.rule.pk, firing.account_id))
        if (
            firing.rule.kind in (Kind.HEALTH_DROP, Kind.DETRACTORS)
            and last
            and last > now - timedelta(days=firing.rule.days)
        ):
            continue  # the same fall or run of answers, seen again from the next period
        try:
            with transaction.atomic():
                alert = health_alert_fire(firing=firing, account=accounts[firing.account_id])
        except Exception:
            # One broken firing must not hold back every score of the batch; it is tried again
            # the next time this account is recomputed (its alert row was rolled back with it).
            logger.exception("Health alert %s for account %s failed", firing.rule, firing.account_id)
            continue
        fired += alert is not None
    return fired


def _drops(rule: AlertRule, by_account: dict[int, AccountHealth], *, now: datetime) -> list[Firing]:
    """Health now at least N points below its highest of the last D days (same formula only).

    History keeps a row for each day the score changed, so the highest of the window is the
    highest row inside it or the score that stood when it began (the last row before), 2 queries.
    """
    today = timezone.localtime(now).date()
    start = today - timedelta(days=rule.days)
    formula_since = HealthWeight.objects.aggregate(at=Max("edited_at"))["at"]
    history = HealthHistory.objects.filter(account_id__in=list(by_account), day__lte=today).order_by()
    if formula_since is not None:
        # Scores from before the weights were last edited are not comparable with today's.
        history = history.filter(day__gt=timezone.localtime(formula_since).date())
    highs = dict(
        history.filter(day__gte=start)
        .values("account_id")
        .annotate(high=Max("score"))
        .values_list("account_id", "high")
    )
    standing = (
        history.filter(day__lt=start)
        .annotate(rank=Window(RowNumber(), partition_by=[F("account_id")], order_by=F("day").desc()))
        .filter(rank=1)
        .values_list("account_id", "score")
    )
    firings = []
    for account_id, score in standing:
        highs[account_id] = max(highs.get(account_id, score), score)
    for account_id, change in by_account.items():
        candidates = [highs.get(account_id)]
        if change.before_at is not None and (formula_since is None or change.before_at >= formula_since):
            candidates.append(change.before)
        high = max((score for score in candidates if score is not None), default=None)
        if high is not None and high - change.health.score >= rule.threshold:
            details = {"high": high, "score": change.health.score, "days": rule.days}
            firings.append(Firing(rule, account_id, period_bucket(today, rule.days), details))
    return firings


def _detractors(rule: AlertRule, by_account: dict[int, AccountHealth], *, now: datetime) -> list[Firing]:
    """At least N unhappy answers (by score) from the account's contacts in the last D days."""
    unhappy = Q()
    for kind, scores in routing.UNHAPPY.items():
        unhappy |= Q(question__kind=kind, number__in=list(scores))
    counts = dict(
        SurveyResponse.objects.completed()
        .filter(
            contact__account_id__in=list(by_account),
            completed_at__gt=now - timedelta(days=rule.days),
            completed_at__lte=now,
        )
        .filter(Exists(Answer.objects.filter(unhappy, response=OuterRef("pk"))))
        .values("contact__account_id")
        .annotate(n=Count("pk"))
        .values_list("contact__account_id", "n")
    )
    today = timezone.localtime(now).date()
    return [
        Firing(rule, account_id, period_bucket(today, rule.days), {"count": count, "days": rule.days})
        for account_id, count in counts.items()
        if count >= rule.threshold
    ]


def _silences(rule: AlertRule, by_account: dict[int, AccountHealth], *, now: datetime) -> list[Firing]:
    """No answer for D days from an account that used to answer, though it was asked since."""
    firings = []
    for account_id, change in by_account.items():
        facts = change.facts
        last, asked = facts.last_answer_at, facts.last_invited_at
        if last is None or asked is None or asked <= last or now - last < timedelta(days=rule.days):
            continue
        # The period is the last answer: one alert per silence, however long it lasts.
        details = {"silent_days": (now - last).days, "last_answer": timezone.localtime(last).date().isoformat()}
        firings.append(Firing(rule, account_id, timezone.localtime(last).date(), details))
    return firings


def _renewals(
    rule: AlertRule, by_account: dict[int, AccountHealth], accounts: dict[int, Account], *, today: Any
) -> list[Firing]:
    """A renewal within D days while health is at risk or critical; one alert per renewal date."""
    firings = []
    for account_id, change in by_account.items():
        renewal = accounts[account_id].renewal_date
        if renewal is None or not today <= renewal <= today + timedelta(days=rule.days):
            continue
        if change.health.band in AT_RISK_BANDS:
            details = {
                "renewal_date": renewal.isoformat(),
                "score": change.health.score,
                "band": change.health.band,
            }
            firings.append(Firing(rule, account_id, renewal, details))
    return firings


def _recent_alerts(firings: list[Firing], *, now: datetime) -> dict[tuple[int, int], datetime]:
    longest = max(firing.rule.days for firing in firings)
    rows = (
        HealthAlert.objects.filter(
            account_id__in={firing.account_id for firing in firings},
            rule_id__in={firing.rule.pk for firing in firings},
            fired_at__gte=now - timedelta(days=longest),
        )
        .values("rule_id", "account_id")
        .annotate(last=Max("fired_at"))
    )
    return {(row["rule_id"], row["account_id"]): row["last"] for row in rows}


def health_alert_fire(*, firing: Firing, account: Account) -> HealthAlert | None:
    """Record one alert and open (or join) the account's proactive follow-up; None if it had fired."""
    rule = firing.rule
    owner = account.owner if account.owner is not None and account.owner.is_active else None
    if owner is None:
        try:
            owner = routing.fallback_owner()
        except RuntimeError:
            # Nobody can own it: record nothing, so it fires once someone can (and scores still save).
            logger.exception("Health alert %s for account %s has no owner", rule, account.pk)
            return None
    try:
        with transaction.atomic():
            alert = HealthAlert.objects.create(rule=rule, account=account, period=firing.period, details=firing.details)
    except IntegrityError:
        return None  # this condition already alerted in this period
    summary = alert_summary(rule.kind, firing.details)
    with transaction.atomic():
        open_case = (
            FollowUp.objects.open()
            .select_for_update()
            .filter(account=account, alert__isnull=False)
            .order_by("created_at")
            .first()
        )
        if open_case is not None:
            HealthAlert.objects.filter(pk=alert.pk).update(attached_to=open_case)
            FollowUpEvent.objects.create(
                follow_up=open_case, kind=FollowUpEvent.Kind.NOTE, note=f"{rule.name}: {summary}"
            )
            return alert
        follow_up = routing.follow_up_open(
            owner=owner,
            team=None,
            priority=rule.priority,
            sla_hours=rule.sla_hours,
            calendar=rule.calendar,
            remind_before_hours=rule.remind_before_hours,
            escalate_every_hours=rule.escalate_every_hours,
            note=f"{rule.name}: {summary}",
            alert=alert,
            account=account,
        )
    logger.info("Health alert %s (%s) for account %s opened follow-up %s", alert.pk, rule, account.pk, follow_up.pk)
    return alert
