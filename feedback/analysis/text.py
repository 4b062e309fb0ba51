"""Cleaning and script-based language routing, shared by both analysers."""

import html
import re

# Work on a bounded slice: survey answers are short, and the regexes below stay linear on this much text.
RAW_LIMIT = 20_000
# What the analysers see at most; long answers rarely change sentiment after their first paragraphs.
TEXT_LIMIT = 2_000

_SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b[^>]*>.*?(?:</\1\s*>|$)", re.IGNORECASE | re.DOTALL)
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
# A tag starts with a letter or a slash, so "I <3 it" and "a < b" survive.
_TAG = re.compile(r"</?[A-Za-z][^<>]{0,500}>")
_SPACE = re.compile(r"\s+")
# Whole answers that decline to answer. "No comment" is no complaint, yet VADER scores "no" as negative.
_NON_ANSWER = re.compile(
    r"(?:n/?a|none|nil|no|nope|nah|nothing(?: (?:else|more|further|really|at all|to (?:add|say|report)))?|"
    r"no (?:comments?|idea|thanks|opinion|suggestions?|feedback)|not applicable|not sure|idk|"
    r"(?:i )?don'?t know|无|没有|暂无|暂时没有|没了|没有了|没什么|"
    r"没什么(?:意见|建议|可说的)|(?:无|没有|没)(?:意见|建议)|"
    r"不知道|不清楚)[\s.!。！~]*",
    re.IGNORECASE,
)

# CJK ideographs: the basic block, extension A and the compatibility block.
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Kana and Hangul mark Japanese and Korean, which share ideographs with Chinese.
_KANA_HANGUL = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uac00-\ud7af\u1100-\u11ff]")
_LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f]+")
# Any letter of any script (digits and underscore excluded).
_LETTER = re.compile(r"[^\W\d_]")


def clean(text: str) -> str:
    """Strip HTML tags, scripts and entities, collapse whitespace and cap the length."""
    text = text[:RAW_LIMIT]
    # Entities first, so that an escaped "&lt;script&gt;" is stripped like a literal one.
    if "&" in text:
        text = html.unescape(text)
    if "<" in text:
        text = _SCRIPT_OR_STYLE.sub(" ", text)
        text = _COMMENT.sub(" ", text)
        text = _TAG.sub(" ", text)
    return _SPACE.sub(" ", text).strip()[:TEXT_LIMIT]


def script_counts(text: str) -> tuple[int, int]:
    """Count CJK characters and Latin words in text."""
    return len(_CJK.findall(text)), len(_LATIN_WORD.findall(text))


def detect_language(text: str) -> str:
    """Route text by script: "en" (Latin), "zh-hans" (CJK), "other", or "" when it has no letters."""
    text = clean(text)
    cjk, latin = script_counts(text)
    return route_language(text, cjk, latin)


def route_language(text: str, cjk: int, latin: int) -> str:
    """Route cleaned text by its script counts (see detect_language)."""
    if cjk == 0 and latin == 0:
        return "other" if _LETTER.search(text) else ""
    if cjk > latin:
        # Japanese writes kana beside its kanji; a handful of kana is enough to tell it from Chinese.
        kana = len(_KANA_HANGUL.findall(text))
        return "other" if kana * 4 >= cjk else "zh-hans"
    return "en"


def is_non_answer(cleaned: str) -> bool:
    """Tell whether cleaned text only declines to answer ("n/a", "no comment", "无")."""
    return len(cleaned) <= 40 and _NON_ANSWER.fullmatch(cleaned.replace("\u2019", "'")) is not None
