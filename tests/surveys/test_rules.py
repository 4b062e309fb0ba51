"""The pure question rules: parsing answers, branching, design checks."""

from dataclasses import dataclass, field

import pytest

from surveys import rules


@dataclass
class Q:
    key: str = "q"
    kind: str = "nps"
    page: int = 1
    required: bool = False
    choices: list[dict[str, str]] = field(default_factory=list)
    show_if_key: str = ""
    show_if_min: int | None = None
    show_if_max: int | None = None
    show_if_values: list[str] = field(default_factory=list)


YES_NO = [{"value": "yes", "en": "Yes"}, {"value": "no", "en": "No"}]


@pytest.mark.parametrize(
    ("kind", "raw", "value"), [("nps", "0", 0), ("nps", " 10 ", 10), ("csat", "5", 5), ("ces", "7", 7)]
)
def test_it_accepts_scores_on_each_scale(kind: str, raw: str, value: int) -> None:
    assert rules.parse_answer(Q(kind=kind), [raw], text_max_length=10) == value


@pytest.mark.parametrize(("kind", "raw"), [("csat", "0"), ("csat", "6"), ("ces", "8"), ("stars", "0"), ("nps", "11")])
def test_it_rejects_scores_outside_the_scale(kind: str, raw: str) -> None:
    with pytest.raises(rules.AnswerError) as error:
        rules.parse_answer(Q(kind=kind), [raw], text_max_length=10)

    assert error.value.code == "out_of_range"
    assert error.value.params == rules.NUMERIC_SCALES[kind]


def test_a_blank_optional_answer_is_none_and_a_blank_required_one_an_error() -> None:
    assert rules.parse_answer(Q(kind="long_text"), ["  "], text_max_length=10) is None
    with pytest.raises(rules.AnswerError, match="required"):
        rules.parse_answer(Q(kind="long_text", required=True), [""], text_max_length=10)


def test_multiple_choice_keeps_the_offered_order_and_refuses_strangers() -> None:
    question = Q(kind="multiple_choice", choices=YES_NO)

    assert rules.parse_answer(question, ["no", "yes"], text_max_length=10) == ["yes", "no"]
    with pytest.raises(rules.AnswerError, match="invalid_choice"):
        rules.parse_answer(question, ["yes", "perhaps"], text_max_length=10)


def test_text_is_capped_by_kind() -> None:
    assert rules.parse_answer(Q(kind="long_text"), ["abcdef"], text_max_length=4) == "abcd"
    short = rules.parse_answer(Q(kind="short_text"), ["x" * 1000], text_max_length=5000)
    assert len(str(short)) == rules.SHORT_TEXT_MAX_LENGTH


@pytest.mark.parametrize(("score", "shown"), [(0, True), (6, True), (7, False), (None, False)])
def test_a_score_branch_shows_the_question_only_in_its_range(score: int | None, shown: bool) -> None:
    question = Q(key="why", kind="long_text", page=2, show_if_key="nps", show_if_min=0, show_if_max=6)
    answers = {} if score is None else {"nps": score}

    assert rules.is_shown(question, answers) is shown


def test_a_choice_branch_matches_any_chosen_value() -> None:
    question = Q(key="why", kind="long_text", page=2, show_if_key="used", show_if_values=["app"])

    assert rules.is_shown(question, {"used": ["web", "app"]}) is True
    assert rules.is_shown(question, {"used": ["web"]}) is False


def test_pages_without_a_shown_question_are_skipped() -> None:
    questions = [Q(key="nps"), Q(key="why", page=2, show_if_key="nps", show_if_max=6), Q(key="end", page=3)]

    assert rules.visible_pages(questions, {"nps": 9}) == [1, 3]
    assert rules.visible_pages(questions, {"nps": 3}) == [1, 2, 3]


def test_design_problems_are_found() -> None:
    questions = [
        Q(key="nps"),
        Q(key="same_page", page=1, show_if_key="nps", show_if_max=6),
        Q(key="no_range", page=2, show_if_key="nps"),
        Q(key="ghost", page=2, show_if_key="missing", show_if_max=1),
        Q(key="lonely", kind="single_choice", choices=YES_NO[:1]),
        Q(key="pick", kind="single_choice", choices=YES_NO),
        Q(key="odd_choice", page=2, show_if_key="pick", show_if_values=["maybe"]),
    ]

    assert rules.question_set_problems(questions) == {
        "same_page": "condition_not_on_earlier_page",
        "no_range": "condition_needs_range",
        "ghost": "unknown_condition_question",
        "lonely": "needs_choices",
        "odd_choice": "condition_unknown_choice",
    }


def test_control_characters_are_removed_but_line_breaks_kept() -> None:
    assert rules.parse_answer(Q(kind="long_text"), ["a\x00b\r\nc\x07"], text_max_length=99) == "ab\nc"


@pytest.mark.parametrize("raw", ["1_0", "٣", "+5", "5.0", "1e1", "00000000009"])
def test_only_plain_digits_count_as_a_score(raw: str) -> None:
    with pytest.raises(rules.AnswerError, match="not_a_number"):
        rules.parse_answer(Q(kind="nps"), [raw], text_max_length=10)


def test_a_reversed_condition_range_is_a_design_problem() -> None:
    questions = [Q(key="nps"), Q(key="why", page=2, show_if_key="nps", show_if_min=8, show_if_max=2)]

    assert rules.question_set_problems(questions) == {"why": "condition_range_reversed"}
