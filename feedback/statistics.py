"""Honest survey statistics: every figure with its sample size and 95% margin of error.

Pure computation with no Django imports. Counts come from the database (conditional
aggregation); this module turns them into scores, intervals and significance verdicts.
"""

import math
from dataclasses import dataclass

Z_95 = 1.959963984540054
SMALL_SAMPLE = 30


@dataclass(frozen=True)
class Estimate:
    """A figure with its sample size and 95% interval; small samples are flagged, not hidden."""

    value: float | None
    n: int
    low: float | None
    high: float | None

    @property
    def margin(self) -> float | None:
        if self.value is None or self.low is None or self.high is None:
            return None
        return max(self.value - self.low, self.high - self.value)

    @property
    def small_sample(self) -> bool:
        return self.n < SMALL_SAMPLE

    def as_dict(self) -> dict[str, float | int | bool | None]:
        """Value, n, interval, margin and the small-sample flag, as plain data."""
        return {
            "value": self.value,
            "n": self.n,
            "low": self.low,
            "high": self.high,
            "margin": self.margin,
            "small_sample": self.small_sample,
        }


@dataclass(frozen=True)
class Change:
    """The difference between two periods and whether it is beyond noise (95%, two-sided)."""

    delta: float | None
    significant: bool


def nps(*, promoters: int, passives: int, detractors: int) -> Estimate:
    """Net Promoter Score in [-100, 100] with margin 1.96 * 100 * sqrt((p + d - (p - d)^2) / n)."""
    n = promoters + passives + detractors
    if n == 0:
        return Estimate(None, 0, None, None)
    p, d = promoters / n, detractors / n
    score = 100 * (p - d)
    margin = Z_95 * nps_standard_error(p=p, d=d, n=n)
    return Estimate(score, n, max(score - margin, -100.0), min(score + margin, 100.0))


def nps_standard_error(*, p: float, d: float, n: int) -> float:
    return 100 * math.sqrt(max(p + d - (p - d) ** 2, 0.0) / n)


def share(*, successes: int, n: int) -> Estimate:
    """A proportion (e.g. CSAT: share of 4-5) in percent, with its Wilson score interval."""
    if n == 0:
        return Estimate(None, 0, None, None)
    low, high = wilson_interval(successes=successes, n=n)
    return Estimate(100 * successes / n, n, 100 * low, 100 * high)


def wilson_interval(*, successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval for a proportion; well-behaved near 0, 1 and for small n."""
    phat = successes / n
    denominator = 1 + z * z / n
    centre = (phat + z * z / (2 * n)) / denominator
    spread = z * math.sqrt(phat * (1 - phat) / n + z * z / (4 * n * n)) / denominator
    return max(centre - spread, 0.0), min(centre + spread, 1.0)


def mean(*, total: float, total_of_squares: float, n: int) -> Estimate:
    """A mean (e.g. CES) with a normal-approximation interval from the sample variance."""
    if n == 0:
        return Estimate(None, 0, None, None)
    average = total / n
    if n == 1:
        return Estimate(average, 1, None, None)
    variance = max((total_of_squares - n * average * average) / (n - 1), 0.0)
    margin = Z_95 * math.sqrt(variance / n)
    return Estimate(average, n, average - margin, average + margin)


def nps_change(*, before: tuple[int, int, int], after: tuple[int, int, int]) -> Change:
    """NPS change between two periods given (promoters, passives, detractors) for each."""
    first = nps(promoters=before[0], passives=before[1], detractors=before[2])
    second = nps(promoters=after[0], passives=after[1], detractors=after[2])
    if first.value is None or second.value is None:
        return Change(None, False)
    se = math.hypot(
        nps_standard_error(p=before[0] / first.n, d=before[2] / first.n, n=first.n),
        nps_standard_error(p=after[0] / second.n, d=after[2] / second.n, n=second.n),
    )
    delta = second.value - first.value
    return Change(delta, se > 0 and abs(delta) / se > Z_95)


def share_change(*, before: tuple[int, int], after: tuple[int, int]) -> Change:
    """Change of a proportion between two periods, each (successes, n), by a two-proportion z-test."""
    (s1, n1), (s2, n2) = before, after
    if n1 == 0 or n2 == 0:
        return Change(None, False)
    p1, p2 = s1 / n1, s2 / n2
    pooled = (s1 + s2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    delta = 100 * (p2 - p1)
    return Change(delta, se > 0 and abs(p2 - p1) / se > Z_95)


def count_change(*, before: int, after: int) -> Change:
    """Change of a count between periods, beyond noise when it exceeds Poisson variation."""
    if before == 0 and after == 0:
        return Change(0.0, False)
    z = (after - before) / math.sqrt(after + before)
    return Change(float(after - before), abs(z) > Z_95)
