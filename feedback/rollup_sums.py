"""Reading the rollups' arrays of counts: summed by the database, medians from hour buckets."""

from typing import Any

from django.db.models import IntegerField, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from feedback.models.rollups import HOUR_BUCKETS


def array_sums(field: str, length: int) -> dict[str, Sum]:
    """Aggregates summing each position of a JSON array of counts, so the database adds them up
    instead of Python decoding one array per rollup row. Keys are `<field>_<position>`."""
    return {
        f"{field}_{index}": Sum(Cast(KeyTextTransform(str(index), field), IntegerField())) for index in range(length)
    }


def array_from_sums(row: dict[str, Any], field: str, length: int) -> list[int]:
    """The summed array back from a row aggregated with `array_sums`."""
    return [row.get(f"{field}_{index}") or 0 for index in range(length)]


def median_hours(buckets: list[int]) -> float | None:
    """The median read from bucket counts: the upper limit of the bucket holding the middle item."""
    total = sum(buckets)
    if not total:
        return None
    seen = 0
    for index, count in enumerate(buckets):
        seen += count
        if seen * 2 >= total:
            return float(HOUR_BUCKETS[index]) if index < len(HOUR_BUCKETS) else float(HOUR_BUCKETS[-1] * 2)
    return None
