"""Pure rules of survey questions: scales, parsing a submitted answer, and branching.

No Django imports, so the rules can be tested and benchmarked alone. Functions take any
object with the attributes a Question has (kind, required, choices, show_if_*).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

NUMERIC_SCALES: dict[str, tuple[int, int]] = {
    "nps": (0, 10),
    "csat": (1, 5),
    "ces": (1, 7),
    "stars": (1, 5),
}
CHOICE_KINDS = {"single_choice", "multiple_choice"}
TEXT_KINDS = {"short_text", "long_text"}
SHORT_TEXT_MAX_LENGTH = 300

AnswerValue = int | str | list[str]


class QuestionLike(Protocol):
    key: str
    kind: str
    page: int
    required: bool
    choices: list[dict[str, str]]
    show_if_key: str
    show_if_min: int | None
    show_if_max: int | None
    show_if_values: list[str]


@dataclass(frozen=True)
class AnswerError(Exception):
    """A submitted value that cannot be accepted; code names the reason for the message."""

    code: str
    params: tuple[Any, ...] = ()


def scale_of(kind: str) -> tuple[int, int] | None:
    """The inclusive (low, high) range of a numeric question kind, or None."""
    return NUMERIC_SCALES.get(kind)


def choice_values(question: QuestionLike) -> list[str]:
    return [str(choice["value"]) for choice in question.choices]


def parse_answer(question: QuestionLike, raw: list[str], *, text_max_length: int) -> AnswerValue | None:
    """Turn the raw submitted strings for one question into a value, or raise AnswerError.

    Returns None for a blank optional answer. Text is stripped and capped, never rejected
    for length: a customer who wrote a long complaint should not lose it.
    """
    values = [value for value in (_clean(item) for item in raw if item is not None) if value]
    if not values:
        if question.required:
            raise AnswerError("required")
        return None
    scale = scale_of(question.kind)
    if scale is not None:
        return _parse_score(values[0], scale)
    if question.kind == "single_choice":
        if values[0] not in choice_values(question):
            raise AnswerError("invalid_choice")
        return values[0]
    if question.kind == "multiple_choice":
        allowed = choice_values(question)
        unknown = [value for value in values if value not in allowed]
        if unknown:
            raise AnswerError("invalid_choice")
        return [value for value in allowed if value in values]
    limit = SHORT_TEXT_MAX_LENGTH if question.kind == "short_text" else text_max_length
    return values[0][:limit]


def _clean(value: str) -> str:
    """Strip surrounding space and the control characters a database or a page cannot hold."""
    return "".join(ch for ch in value if ch >= " " or ch in "\n\t").strip()


def _parse_score(raw: str, scale: tuple[int, int]) -> int:
    # Only plain ASCII digits: int() would also take "1_0" or other scripts' digits.
    digits = raw[1:] if raw.startswith("-") else raw
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 3:
        raise AnswerError("not_a_number")
    score = int(raw)
    low, high = scale
    if not low <= score <= high:
        raise AnswerError("out_of_range", (low, high))
    return score


def is_shown(question: QuestionLike, answers: Mapping[str, AnswerValue]) -> bool:
    """Whether a question is shown, given the answers so far keyed by question key."""
    if not question.show_if_key:
        return True
    answer = answers.get(question.show_if_key)
    if answer is None:
        return False
    if isinstance(answer, int):
        low = question.show_if_min if question.show_if_min is not None else answer
        high = question.show_if_max if question.show_if_max is not None else answer
        return low <= answer <= high
    wanted = set(question.show_if_values)
    given = set(answer) if isinstance(answer, list) else {answer}
    return bool(wanted & given) if wanted else bool(given)


def visible_pages(questions: Iterable[QuestionLike], answers: Mapping[str, AnswerValue]) -> list[int]:
    """Page numbers, in order, that have at least one question shown given the answers."""
    pages = {question.page for question in questions if is_shown(question, answers)}
    return sorted(pages)


def question_set_problems(questions: Iterable[QuestionLike]) -> dict[str, str]:
    """Design mistakes in one version's questions, keyed by question key, as English hints.

    A branch may only depend on a question on an earlier page: the pages work without
    JavaScript, so a condition on the same page could not be evaluated before it is shown.
    """
    problems: dict[str, str] = {}
    by_key: dict[str, QuestionLike] = {}
    for question in questions:
        if question.key in by_key:
            problems[question.key] = "duplicate_key"
        by_key[question.key] = question
    for question in by_key.values():
        if question.kind in CHOICE_KINDS and len(question.choices) < 2:
            problems[question.key] = "needs_choices"
            continue
        if question.kind in CHOICE_KINDS and len(set(choice_values(question))) != len(question.choices):
            problems[question.key] = "duplicate_choice"
            continue
        if not question.show_if_key:
            continue
        low, high = question.show_if_min, question.show_if_max
        if low is not None and high is not None and low > high:
            problems[question.key] = "condition_range_reversed"
            continue
        source = by_key.get(question.show_if_key)
        if source is None:
            problems[question.key] = "unknown_condition_question"
        elif source.page >= question.page:
            problems[question.key] = "condition_not_on_earlier_page"
        elif scale_of(source.kind) is not None and question.show_if_min is None and question.show_if_max is None:
            problems[question.key] = "condition_needs_range"
        elif source.kind in CHOICE_KINDS and not set(question.show_if_values) <= set(choice_values(source)):
            problems[question.key] = "condition_unknown_choice"
    return problems
