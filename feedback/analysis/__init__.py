"""Sentiment, language and key phrases for free-text survey answers: pure computation, no Django.

Public API::

    analyse(text: str) -> TextAnalysis
    detect_language(text: str) -> str        # "en" | "zh-hans" | "other" | "" (no letters at all)

    @dataclass(frozen=True)
    class TextAnalysis:
        language: str                # as detect_language
        polarity: float              # [-1, 1]; 0.0 when there is no evidence either way
        label: str                   # "negative" | "neutral" | "positive"
        key_phrases: tuple[str, ...] # at most 5, strongest first, lowercased
        analyser: str                # "vocsite-en" | "vocsite-zh" | "vocsite-mixed" | "vocsite-none"
        analyser_version: str        # "1"; "en1+zh1" for mixed text; store it beside the result

How it works. Text is cleaned first (tags, scripts and HTML entities stripped, whitespace collapsed) and capped
at 2,000 characters. The language is routed by script: CJK characters against Latin words (Japanese and Korean,
told by kana and Hangul, and other scripts are "other"). English is scored by a logistic regression over
TextBlob's PatternAnalyzer polarity, VADER's scores, complaint and praise cues ("waited forty minutes", "in a
row"), negation and stated ratings; Chinese by a logistic regression over jieba words and bigrams plus the same
kind of cues, trained on the Chinese review sets. English text with 4 or more CJK characters, or Chinese text
with 3 or more Latin words, is mixed: both analysers score it, the polarities are averaged by each script's
share of the words, and the key phrases come from both; the dominant script still names the language. Text
with no letters (empty, punctuation, emoji, markup only), text in other languages and answers that decline to
answer ("n/a", "no comment", "无") are neutral with no key phrases ("vocsite-none").

Models are gzip'd JSON in data/, rebuilt by bench/train_sentiment.py and loaded once per process on first use;
nothing is downloaded at run time. The label's cuts are stored with each model. bench/sentiment_eval.py
measures accuracy, bench/tagging.py throughput.
"""

from dataclasses import dataclass

from feedback.analysis import chinese, english
from feedback.analysis.text import clean, detect_language, is_non_answer, route_language, script_counts

__all__ = ["TextAnalysis", "analyse", "detect_language"]

MIXED_ANALYSER = "vocsite-mixed"
NONE_ANALYSER = "vocsite-none"
# Bumped by hand when the cleaning, routing or phrase rules change; the models carry their own version.
RULES_VERSION = "1"
# A script counts as mixed in only when it has this many words (CJK characters for Chinese) of its own;
# a brand name or two ("用VISTA也不卡") is no reason to run the other analyser.
MIXED_MIN_LATIN_WORDS = 3
MIXED_MIN_CJK = 4
# A Chinese word is about one and a half characters long; this puts both scripts' shares in words.
CJK_CHARS_PER_WORD = 1.5


@dataclass(frozen=True)
class TextAnalysis:
    """The language, sentiment and key phrases of one answer, and which analyser produced them."""

    language: str
    polarity: float
    label: str
    key_phrases: tuple[str, ...]
    analyser: str
    analyser_version: str


def analyse(text: str) -> TextAnalysis:
    """Detect the language of text and score its sentiment and key phrases."""
    cleaned = clean(text)
    cjk, latin = script_counts(cleaned)
    language = route_language(cleaned, cjk, latin)
    if is_non_answer(cleaned):
        return TextAnalysis(language, 0.0, "neutral", (), NONE_ANALYSER, RULES_VERSION)
    if language == "en" and cjk < MIXED_MIN_CJK:
        polarity, phrases = english.analyse_english(cleaned)
        model = english.model()
        return _result(language, polarity, model.label(polarity), phrases, english.ANALYSER, model.version)
    if language == "zh-hans" and latin < MIXED_MIN_LATIN_WORDS:
        polarity, phrases = chinese.analyse_chinese(cleaned)
        model = chinese.model()
        return _result(language, polarity, model.label(polarity), phrases, chinese.ANALYSER, model.version)
    if language in ("en", "zh-hans"):
        return _analyse_mixed(cleaned, language, cjk, latin)
    return TextAnalysis(language, 0.0, "neutral", (), NONE_ANALYSER, RULES_VERSION)


def _analyse_mixed(cleaned: str, language: str, cjk: int, latin: int) -> TextAnalysis:
    # Each analyser reads the whole text: the other script is invisible to VADER and TextBlob, and jieba's
    # Latin words are mostly unknown to the Chinese model, so neither is misled by the other half.
    en_polarity, en_phrases = english.analyse_english(cleaned)
    zh_polarity, zh_phrases = chinese.analyse_chinese(cleaned, latin_phrases=False)
    zh_share = (cjk / CJK_CHARS_PER_WORD) / (cjk / CJK_CHARS_PER_WORD + latin)
    polarity = (1.0 - zh_share) * en_polarity + zh_share * zh_polarity
    first, second = (en_phrases, zh_phrases) if language == "en" else (zh_phrases, en_phrases)
    phrases = tuple(dict.fromkeys(first[:3] + second[:2] + first[3:] + second[2:]))[:5]
    # The dominant script's cuts decide the label: its model is the one the answer mostly speaks to.
    model = english.model() if language == "en" else chinese.model()
    version = f"en{english.model().version}+zh{chinese.model().version}"
    return _result(language, polarity, model.label(polarity), phrases, MIXED_ANALYSER, version)


def _result(
    language: str, polarity: float, label: str, phrases: tuple[str, ...], analyser: str, version: str
) -> TextAnalysis:
    # Four decimals are more than any decision here uses, and keep stored values stable across platforms.
    return TextAnalysis(language, round(max(-1.0, min(1.0, polarity)), 4), label, phrases, analyser, version)
