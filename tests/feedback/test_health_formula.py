"""The health formula on its own: known inputs give known scores, each input's points explained."""

from datetime import UTC, datetime, timedelta

import pytest

from feedback.health import formula
from feedback.health.formula import Bands, Facts, Groups, HealthInputs, Settings

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
SETTINGS = Settings(baseline=50, window_days=90, bands=Bands(healthy_from=70, critical_below=40))


def points(health: formula.Health) -> dict[str, float]:
    return {part.key: part.points for part in health.contributions}


def test_an_account_nobody_knows_anything_about_scores_the_baseline_with_every_input_unknown() -> None:
    health = formula.health(HealthInputs(facts=Facts()), now=NOW, settings=SETTINGS)

    assert (health.score, health.band) == (50, "at_risk")
    assert [part.key for part in health.contributions] == list(formula.INPUTS)
    unknown = [part.key for part in health.contributions if part.signal is None]
    assert unknown == [key for key in formula.INPUTS if key not in ("open_follow_ups", "overdue_follow_ups")]
    assert set(points(health).values()) == {0.0}


def test_known_inputs_give_a_known_score_and_each_input_says_how_many_points_it_moved() -> None:
    facts = Facts(
        # Latest: two promoters and a detractor (NPS +33), one satisfied CSAT, one neutral CES.
        latest={"nps": Groups(happy=2, unhappy=1), "csat": Groups(happy=1), "ces": Groups(neutral=1)},
        # NPS went from +100 (previous window) to 0 (last window): a fall of 100 NPS points.
        recent={"nps": Groups(happy=1, unhappy=1)},
        previous={"nps": Groups(happy=2)},
        comments=Groups(happy=1, unhappy=3),  # sentiment -50
        invited=4,
        answered=1,  # 25% answered
        last_answer_at=NOW - timedelta(days=10),
        first_invited_at=NOW - timedelta(days=200),
    )

    health = formula.health(
        HealthInputs(facts=facts, open_follow_ups=1, overdue_follow_ups=1), now=NOW, settings=SETTINGS
    )

    assert points(health) == pytest.approx(
        {
            "nps_latest": 20 * (1 / 3),
            "nps_trend": -8.0,
            "csat_latest": 10.0,
            "csat_trend": 0.0,
            "ces_latest": 0.0,
            "ces_trend": 0.0,
            "sentiment": -5.0,
            "open_follow_ups": -5 / 3,
            "overdue_follow_ups": -5.0,
            "response_rate": -2.5,
            "silence": 0.0,
        }
    )
    assert health.score == round(50 + 20 / 3 - 8 + 10 - 5 - 5 / 3 - 5 - 2.5)  # 45
    assert health.band == "at_risk"
    by_key = {part.key: part for part in health.contributions}
    assert (by_key["nps_latest"].value, by_key["nps_latest"].n) == (pytest.approx(33.33, abs=0.01), 3)
    assert by_key["nps_trend"].value == -100
    assert by_key["response_rate"].value == 25


def test_silence_costs_nothing_for_a_window_then_grows_to_the_whole_weight() -> None:
    def silence_points(days: int) -> float:
        facts = Facts(last_answer_at=NOW - timedelta(days=days))
        return points(formula.health(HealthInputs(facts=facts), now=NOW, settings=SETTINGS))["silence"]

    assert silence_points(30) == 0
    assert silence_points(90) == 0
    assert silence_points(90 + 135) == pytest.approx(-5.0)
    assert silence_points(90 + 270) == pytest.approx(-10.0)
    assert silence_points(1000) == pytest.approx(-10.0)


def test_never_answering_counts_from_the_first_invitation() -> None:
    facts = Facts(first_invited_at=NOW - timedelta(days=360))

    health = formula.health(HealthInputs(facts=facts), now=NOW, settings=SETTINGS)

    assert points(health)["silence"] == pytest.approx(-10.0)


def test_the_score_stays_within_0_and_100_and_weights_come_from_the_settings() -> None:
    happy = Facts(
        latest={"nps": Groups(happy=3), "csat": Groups(happy=3), "ces": Groups(happy=3)},
        recent={"nps": Groups(happy=3)},
        previous={"nps": Groups(unhappy=3)},
        comments=Groups(happy=5),
        invited=2,
        answered=2,
    )
    heavy = SETTINGS.with_weights({"nps_latest": 100})

    health = formula.health(HealthInputs(facts=happy), now=NOW, settings=heavy)

    assert health.score == 100
    assert health.band == "healthy"
    assert health.unclamped > 100
    assert points(health)["nps_latest"] == 100


def test_a_weight_of_zero_switches_an_input_off() -> None:
    facts = Facts(latest={"nps": Groups(unhappy=1)})

    health = formula.health(HealthInputs(facts=facts), now=NOW, settings=SETTINGS.with_weights({"nps_latest": 0}))

    assert health.score == 50


def test_bands_split_the_scale_at_their_thresholds() -> None:
    bands = Bands(healthy_from=70, critical_below=40)

    assert [bands.of(score) for score in (0, 39, 40, 69, 70, 100)] == [
        "critical",
        "critical",
        "at_risk",
        "at_risk",
        "healthy",
        "healthy",
    ]
    with pytest.raises(ValueError, match="critical_below <= healthy_from"):
        Bands(healthy_from=30, critical_below=40)


def test_the_facts_of_an_account_add_up_its_contacts() -> None:
    first = Facts(
        latest={"nps": Groups(happy=1)},
        invited=2,
        answered=1,
        last_answer_at=NOW - timedelta(days=5),
        first_invited_at=NOW - timedelta(days=50),
    )
    second = Facts(latest={"nps": Groups(unhappy=1)}, invited=1, first_invited_at=NOW - timedelta(days=80))

    account = Facts.combine([first, second])

    assert account.latest == {"nps": Groups(happy=1, unhappy=1)}
    assert (account.invited, account.answered) == (3, 1)
    assert account.last_answer_at == NOW - timedelta(days=5)
    assert account.first_invited_at == NOW - timedelta(days=80)
    assert Facts.combine([]) == Facts()


def test_what_moved_names_the_inputs_that_changed_biggest_first() -> None:
    before = [
        {"key": "nps_latest", "points": 10.0},
        {"key": "sentiment", "points": 2.0},
        {"key": "silence", "points": 0},
    ]
    after = [
        {"key": "nps_latest", "points": -10.0},
        {"key": "sentiment", "points": 5.0},
        {"key": "silence", "points": 0},
    ]

    assert formula.what_moved(before, after) == [("nps_latest", -20.0), ("sentiment", 3.0)]
