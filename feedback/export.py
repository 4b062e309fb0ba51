"""CSV export of responses that is safe to open in a spreadsheet.

A cell that starts with = + - @, a tab or a carriage return would be run as a formula by
Excel or LibreOffice; such cells get a leading apostrophe. The csv module takes care of
commas, quotes and newlines, and the UTF-8 byte order mark makes Excel read Chinese right.
"""

from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import Prefetch, QuerySet

from feedback.models import Answer, SurveyResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
HEADER = ["response", "survey", "status", "language", "score", "completed_at", "contact_email", "contact_name"]
ANSWER_COLUMNS = ["question", "answer", "sentiment", "themes"]


def spreadsheet_safe(value: Any) -> str:
    """The cell as text, neutralised if a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def response_export_rows(responses: QuerySet[SurveyResponse]) -> Iterator[list[str]]:
    """One row per answer, with its response's columns, streamed in chunks."""
    yield HEADER + ANSWER_COLUMNS
    answers = Prefetch(
        "answers",
        queryset=Answer.objects.select_related("question")
        .prefetch_related("themes")
        .order_by("question__page", "question__position"),
    )
    rows = responses.select_related("survey", "contact").prefetch_related(answers).order_by("pk")
    for response in rows.iterator(chunk_size=500):
        head = [
            response.pk,
            response.survey.name,
            response.status,
            response.language,
            response.score,
            response.completed_at.isoformat() if response.completed_at else "",
            response.contact.email if response.contact else "",
            response.contact.name if response.contact else "",
        ]
        for answer in response.answers.all():
            themes = ", ".join(theme.name for theme in answer.themes.all())
            yield _safe([*head, answer.question.key, answer.display_value(), answer.sentiment, themes])


def _safe(cells: Iterable[Any]) -> list[str]:
    return [spreadsheet_safe(cell) for cell in cells]
