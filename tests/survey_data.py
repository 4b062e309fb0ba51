"""The ten-question, single-page survey shared by tests and bench/submit.py. Plain data only,
so a benchmark can import it without pytest or a configured Django."""

from typing import Any

TEN_QUESTIONS: list[dict[str, Any]] = [
    {"key": "nps", "kind": "nps", "text_en": "Recommend us?", "text_zh": "推荐我们吗？", "required": True},
    {"key": "csat", "kind": "csat", "text_en": "Satisfied?", "required": True},
    {"key": "ces", "kind": "ces", "text_en": "Easy?"},
    {"key": "stars", "kind": "stars", "text_en": "Stars?"},
    {
        "key": "plan",
        "kind": "single_choice",
        "text_en": "Plan?",
        "choices": [{"value": "free", "en": "Free", "zh": "免费"}, {"value": "paid", "en": "Paid", "zh": "付费"}],
    },
    {
        "key": "used",
        "kind": "multiple_choice",
        "text_en": "Used?",
        "choices": [{"value": "web", "en": "Web"}, {"value": "app", "en": "App"}, {"value": "api", "en": "API"}],
    },
    {"key": "role", "kind": "short_text", "text_en": "Role?"},
    {"key": "best", "kind": "long_text", "text_en": "Best part?"},
    {"key": "worst", "kind": "long_text", "text_en": "Worst part?"},
    {"key": "else", "kind": "long_text", "text_en": "Anything else?"},
]

TEN_ANSWERS: dict[str, list[str]] = {
    "page": ["1"],
    "q_nps": ["9"],
    "q_csat": ["4"],
    "q_ces": ["6"],
    "q_stars": ["5"],
    "q_plan": ["paid"],
    "q_used": ["web", "api"],
    "q_role": ["Ops lead"],
    "q_best": ["Fast support"],
    "q_worst": ["Slow exports"],
    "q_else": ["Keep going"],
}
