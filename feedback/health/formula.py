"""The health score: named, weighted inputs that each add or take away points. Pure, no Django.

    score = baseline + sum(weight x signal), rounded and kept within 0..100

Every input turns what is known into a signal between -1 (as bad as it gets) and +1 (as good),
0 being neutral or unknown; its weight is the most points it can move the score either way.
So a score explains itself: "NPS of the latest answers -33: -7 points of 20". An account or
contact nobody knows anything about scores exactly the baseline.

Scores are counted the way the closed loop counts them: every NPS, CSAT and CES answer is
happy, neutral or unhappy (NPS 9-10 / 7-8 / 0-6, CSAT 4-5 / 3 / 1-2, CES 5-7 / 4 / 1-3), and
a group's "net" is (happy - unhappy) / n, between -1 and +1; for NPS, net x 100 is the NPS.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

NPS, CSAT, CES = "nps", "csat", "ces"
SCORED_KINDS = (NPS, CSAT, CES)

NPS_LATEST, NPS_TREND = "nps_latest", "nps_trend"
CSAT_LATEST, CSAT_TREND = "csat_latest", "csat_trend"
CES_LATEST, CES_TREND = "ces_latest", "ces_trend"
SENTIMENT = "sentiment"
OPEN_FOLLOW_UPS, OVERDUE_FOLLOW_UPS = "open_follow_ups", "overdue_follow_ups"
RESPONSE_RATE, SILENCE = "response_rate", "silence"

# The inputs in the order they are shown, with the points each may move the score by default.
DEFAULT_WEIGHTS: dict[str, int] = {
    NPS_LATEST: 20,
    NPS_TREND: 8,
    CSAT_LATEST: 10,
    CSAT_TREND: 4,
    CES_LATEST: 6,
    CES_TREND: 2,
    SENTIMENT: 10,
    OPEN_FOLLOW_UPS: 5,
    OVERDUE_FOLLOW_UPS: 10,
    RESPONSE_RATE: 5,
    SILENCE: 10,
}
INPUTS = tuple(DEFAULT_WEIGHTS)
LATEST = {NPS: NPS_LATEST, CSAT: CSAT_LATEST, CES: CES_LATEST}
TREND = {NPS: NPS_TREND, CSAT: CSAT_TREND, CES: CES_TREND}

OPEN_FOLLOW_UPS_FOR_FULL_WEIGHT = 3
OVERDUE_FOLLOW_UPS_FOR_FULL_WEIGHT = 2
# Silence costs nothing for one window, then grows to the full weight over three more.
SILENCE_WINDOWS_TO_FULL_WEIGHT = 3


@dataclass(frozen=True)
class Groups:
    """Answers (or comments) counted as happy, neutral and unhappy (positive, neutral, negative)."""

    happy: int = 0
    neutral: int = 0
    unhappy: int = 0

    @property
    def n(self) -> int:
        return self.happy + self.neutral + self.unhappy

    @property
    def net(self) -> float | None:
        """(happy - unhappy) / n, in [-1, 1]; None without answers."""
        return (self.happy - self.unhappy) / self.n if self.n else None

    def __add__(self, other: "Groups") -> "Groups":
        return Groups(self.happy + other.happy, self.neutral + other.neutral, self.unhappy + other.unhappy)


def _sum_by_kind(items: Iterable[Mapping[str, Groups]]) -> dict[str, Groups]:
    total: dict[str, Groups] = {}
    for item in items:
        for kind, groups in item.items():
            total[kind] = total.get(kind, Groups()) + groups
    return total


@dataclass(frozen=True)
class Facts:
    """What is known about one contact, or about all the contacts of an account together.

    latest: each contact's most recent answer of each kind; recent and previous: every answer
    of the last window and of the window before; comments: sentiment of free-text answers in
    the last window; invited and answered: invitations sent in the last window that have had
    time to be answered, and how many were; last_invited_at: the latest invitation that has had
    that time.
    """

    latest: Mapping[str, Groups] = field(default_factory=dict)
    recent: Mapping[str, Groups] = field(default_factory=dict)
    previous: Mapping[str, Groups] = field(default_factory=dict)
    comments: Groups = Groups()
    invited: int = 0
    answered: int = 0
    last_answer_at: datetime | None = None
    first_invited_at: datetime | None = None
    last_invited_at: datetime | None = None

    @classmethod
    def combine(cls, parts: Iterable["Facts"]) -> "Facts":
        """The facts of several contacts as one (an account): counts add up, the last answer is the latest."""
        parts = list(parts)
        answers = [part.last_answer_at for part in parts if part.last_answer_at is not None]
        invitations = [part.first_invited_at for part in parts if part.first_invited_at is not None]
        last_invitations = [part.last_invited_at for part in parts if part.last_invited_at is not None]
        comments = Groups()
        for part in parts:
            comments += part.comments
        return cls(
            latest=_sum_by_kind(part.latest for part in parts),
            recent=_sum_by_kind(part.recent for part in parts),
            previous=_sum_by_kind(part.previous for part in parts),
            comments=comments,
            invited=sum(part.invited for part in parts),
            answered=sum(part.answered for part in parts),
            last_answer_at=max(answers, default=None),
            first_invited_at=min(invitations, default=None),
            last_invited_at=max(last_invitations, default=None),
        )


@dataclass(frozen=True)
class HealthInputs:
    facts: Facts
    open_follow_ups: int = 0
    overdue_follow_ups: int = 0


@dataclass(frozen=True)
class Contribution:
    """One input's part in a score: its signal, the points it added or took, and what it saw.

    value is the figure a person reads (an NPS, a change of NPS, a percentage, a count, days);
    n how many answers or invitations it rests on; signal None means nothing was known.
    """

    key: str
    weight: int
    signal: float | None
    points: float
    value: float | None = None
    n: int | None = None

    def as_dict(self) -> dict[str, float | int | str | None]:
        return {
            "key": self.key,
            "weight": self.weight,
            "signal": None if self.signal is None else round(self.signal, 4),
            "points": round(self.points, 2),
            "value": None if self.value is None else round(self.value, 1),
            "n": self.n,
        }


@dataclass(frozen=True)
class Bands:
    """Score thresholds: healthy from `healthy_from`, critical below `critical_below`, at risk between."""

    healthy_from: int = 70
    critical_below: int = 40

    def __post_init__(self) -> None:
        if not 0 <= self.critical_below <= self.healthy_from <= 100:
            raise ValueError("Health bands need 0 <= critical_below <= healthy_from <= 100.")

    def of(self, score: int) -> str:
        if score >= self.healthy_from:
            return HEALTHY
        if score < self.critical_below:
            return CRITICAL
        return AT_RISK


HEALTHY, AT_RISK, CRITICAL = "healthy", "at_risk", "critical"


@dataclass(frozen=True)
class Health:
    score: int
    band: str
    baseline: int
    contributions: tuple[Contribution, ...]

    @property
    def unclamped(self) -> float:
        return self.baseline + sum(part.points for part in self.contributions)

    def breakdown(self) -> list[dict[str, float | int | str | None]]:
        return [part.as_dict() for part in self.contributions]


@dataclass(frozen=True)
class Settings:
    baseline: int = 50
    window_days: int = 90
    bands: Bands = Bands()
    weights: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))

    def with_weights(self, weights: Mapping[str, int]) -> "Settings":
        return replace(self, weights={**DEFAULT_WEIGHTS, **weights})


def _clamp(value: float, low: float = -1.0, high: float = 1.0) -> float:
    return max(low, min(high, value))


def _part(key: str, settings: Settings, signal: float | None, value: float | None, n: int | None) -> Contribution:
    weight = settings.weights.get(key, DEFAULT_WEIGHTS[key])
    points = 0.0 if signal is None else weight * _clamp(signal)
    return Contribution(key, weight, signal, points, value, n)


def health(inputs: HealthInputs, *, now: datetime, settings: Settings) -> Health:
    """The score of one account or contact, with every input's contribution."""
    facts = inputs.facts
    parts: dict[str, Contribution] = {}
    for kind in SCORED_KINDS:
        latest = facts.latest.get(kind, Groups())
        net = latest.net
        parts[LATEST[kind]] = _part(LATEST[kind], settings, net, None if net is None else 100 * net, latest.n or None)
        recent, previous = facts.recent.get(kind, Groups()), facts.previous.get(kind, Groups())
        if recent.net is None or previous.net is None:
            parts[TREND[kind]] = _part(TREND[kind], settings, None, None, None)
        else:
            change = recent.net - previous.net
            parts[TREND[kind]] = _part(TREND[kind], settings, _clamp(change), 100 * change, recent.n + previous.n)
    comments = facts.comments
    parts[SENTIMENT] = _part(
        SENTIMENT, settings, comments.net, None if comments.net is None else 100 * comments.net, comments.n or None
    )
    parts[OPEN_FOLLOW_UPS] = _part(
        OPEN_FOLLOW_UPS,
        settings,
        -min(inputs.open_follow_ups, OPEN_FOLLOW_UPS_FOR_FULL_WEIGHT) / OPEN_FOLLOW_UPS_FOR_FULL_WEIGHT,
        inputs.open_follow_ups,
        None,
    )
    parts[OVERDUE_FOLLOW_UPS] = _part(
        OVERDUE_FOLLOW_UPS,
        settings,
        -min(inputs.overdue_follow_ups, OVERDUE_FOLLOW_UPS_FOR_FULL_WEIGHT) / OVERDUE_FOLLOW_UPS_FOR_FULL_WEIGHT,
        inputs.overdue_follow_ups,
        None,
    )
    if facts.invited:
        rate = min(facts.answered / facts.invited, 1.0)
        parts[RESPONSE_RATE] = _part(RESPONSE_RATE, settings, 2 * rate - 1, 100 * rate, facts.invited)
    else:
        parts[RESPONSE_RATE] = _part(RESPONSE_RATE, settings, None, None, None)
    silent = days_silent(facts, now=now)
    parts[SILENCE] = _part(SILENCE, settings, silence_signal(silent, settings.window_days), silent, None)
    contributions = tuple(parts[key] for key in INPUTS)
    raw = settings.baseline + sum(part.points for part in contributions)
    score = round(_clamp(raw, 0, 100))
    return Health(score, settings.bands.of(score), settings.baseline, contributions)


def days_silent(facts: Facts, *, now: datetime) -> float | None:
    """Days since the last answer; never answered: since the first invitation; never asked: None."""
    since = facts.last_answer_at or facts.first_invited_at
    if since is None:
        return None
    return max((now - since).total_seconds() / 86400, 0.0)


def silence_signal(days: float | None, window_days: int) -> float | None:
    """0 within one window of the last answer, then down to -1 over SILENCE_WINDOWS_TO_FULL_WEIGHT windows."""
    if days is None:
        return None
    if days <= window_days:
        return 0.0
    return -min((days - window_days) / (SILENCE_WINDOWS_TO_FULL_WEIGHT * window_days), 1.0)


def what_moved(
    before: Iterable[Mapping[str, object]], after: Iterable[Mapping[str, object]]
) -> list[tuple[str, float]]:
    """Inputs whose points changed between two breakdowns, biggest move first: (key, change in points)."""
    old = {str(part["key"]): float(part["points"] or 0) for part in before}  # type: ignore[arg-type]
    moves = []
    for part in after:
        key = str(part["key"])
        change = float(part["points"] or 0) - old.get(key, 0.0)  # type: ignore[arg-type]
        if abs(change) >= 0.05:
            moves.append((key, round(change, 1)))
    return sorted(moves, key=lambda move: (-abs(move[1]), move[0]))
