"""The statistics behind every figure: NPS with its margin, Wilson intervals, significance."""

import pytest

from feedback import statistics


def test_nps_has_the_standard_margin_of_error() -> None:
    estimate = statistics.nps(promoters=50, passives=30, detractors=20)

    assert estimate.value == pytest.approx(30.0)
    assert estimate.n == 100
    assert estimate.margin == pytest.approx(1.959964 * 100 * (0.61 / 100) ** 0.5, rel=1e-6)
    assert estimate.small_sample is False


def test_an_empty_period_has_no_score_rather_than_zero() -> None:
    estimate = statistics.nps(promoters=0, passives=0, detractors=0)

    assert (estimate.value, estimate.n, estimate.margin) == (None, 0, None)


def test_a_small_sample_is_flagged() -> None:
    assert statistics.nps(promoters=5, passives=2, detractors=3).small_sample is True


def test_the_wilson_interval_matches_the_textbook_value() -> None:
    low, high = statistics.wilson_interval(successes=8, n=10)

    assert (round(low, 4), round(high, 4)) == (0.4902, 0.9433)


def test_a_share_of_all_successes_stays_inside_zero_to_a_hundred() -> None:
    estimate = statistics.share(successes=5, n=5)

    assert estimate.value == 100.0
    assert estimate.high == 100.0
    assert estimate.low == pytest.approx(56.55, abs=0.01)


def test_a_mean_has_a_normal_interval() -> None:
    values = [5, 6, 7, 4, 6, 5, 7, 6]

    estimate = statistics.mean(total=sum(values), total_of_squares=sum(v * v for v in values), n=len(values))

    assert estimate.value == pytest.approx(5.75)
    assert estimate.margin == pytest.approx(1.959964 * (1.0714285714 / 8) ** 0.5, rel=1e-6)


def test_a_large_nps_change_is_significant_and_a_small_one_is_not() -> None:
    big = statistics.nps_change(before=(200, 100, 200), after=(300, 100, 100))
    small = statistics.nps_change(before=(20, 10, 20), after=(22, 10, 18))

    assert big.delta == pytest.approx(40.0)
    assert big.significant is True
    assert small.delta == pytest.approx(8.0)
    assert small.significant is False


def test_share_and_count_changes_say_whether_they_are_beyond_noise() -> None:
    assert statistics.share_change(before=(40, 100), after=(60, 100)).significant is True
    assert statistics.share_change(before=(4, 10), after=(6, 10)).significant is False
    assert statistics.count_change(before=10, after=40).significant is True
    assert statistics.count_change(before=10, after=14).significant is False
