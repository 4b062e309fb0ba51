"""feedback.analysis: language routing, sentiment, key phrases and the edge cases of free text."""

import gzip
import json
from pathlib import Path

import pytest

from feedback.analysis import TextAnalysis, analyse, chinese, detect_language, english
from feedback.analysis.model import LinearModel, read_model, write_model
from feedback.analysis.text import TEXT_LIMIT, clean

NOTHING = TextAnalysis("", 0.0, "neutral", (), "vocsite-none", "1")


def test_it_labels_a_complaint_without_sentiment_words_negative() -> None:
    text = "I waited forty minutes on hold"

    result = analyse(text)

    assert (result.language, result.label, result.analyser, result.analyser_version) == (
        "en",
        "negative",
        "vocsite-en",
        "1",
    )
    assert result.key_phrases == ("waited forty minutes", "hold")


def test_it_labels_a_repeated_billing_error_negative() -> None:
    text = "The invoice was wrong two months in a row"

    result = analyse(text)

    assert (result.language, result.label) == ("en", "negative")


def test_it_labels_a_chinese_complaint_without_sentiment_words_negative() -> None:
    text = "等了四十分钟才有人接电话"

    result = analyse(text)

    assert (result.language, result.label, result.analyser, result.analyser_version) == (
        "zh-hans",
        "negative",
        "vocsite-zh",
        "1",
    )
    assert result.key_phrases == ("四十分钟", "接电话")


def test_it_labels_english_praise_positive() -> None:
    text = "The support team was fantastic and solved my problem quickly."

    result = analyse(text)

    assert result.label == "positive"
    assert result.key_phrases == ("support team", "problem quickly")


def test_it_labels_chinese_praise_positive() -> None:
    text = "服务很好，送货也快，下次还会再买"

    result = analyse(text)

    assert (result.language, result.label) == ("zh-hans", "positive")


def test_it_reads_a_negated_compliment_as_negative() -> None:
    text = "The food was not good"

    result = analyse(text)

    assert result.label == "negative"
    assert result.key_phrases == ("food",)


def test_it_gives_an_answer_with_no_evidence_either_way_a_neutral_zero() -> None:
    text = "We use the web version at the office."

    result = analyse(text)

    assert (result.polarity, result.label) == (0.0, "neutral")
    assert result.key_phrases == ("web version", "office")


@pytest.mark.parametrize("text", ["n/a", "No comment.", "nothing to add", "无", "没有意见"])
def test_it_treats_a_declined_answer_as_neutral_without_phrases(text: str) -> None:
    result = analyse(text)

    assert (result.polarity, result.label, result.key_phrases, result.analyser) == (
        0.0,
        "neutral",
        (),
        "vocsite-none",
    )


@pytest.mark.parametrize("text", ["", "   ", "?!... ---", "😀👍🔥", "12345", "<script>alert('x')</script>"])
def test_it_returns_nothing_for_text_without_letters(text: str) -> None:
    result = analyse(text)

    assert result == NOTHING


def test_it_strips_tags_before_analysis() -> None:
    text = "<p>The <b>delivery</b> was late &amp; the box was damaged</p><script>var great = 1;</script>"

    result = analyse(text)

    assert clean(text) == "The delivery was late & the box was damaged"
    assert result.label == "negative"
    assert result.key_phrases == ("delivery", "late", "box")


def test_it_caps_text_before_analysis() -> None:
    text = "slow " * 5_000

    cleaned = clean(text)
    result = analyse(text)

    assert len(cleaned) == TEXT_LIMIT
    assert (result.language, result.label) == ("en", "negative")


def test_it_scores_mixed_english_and_chinese_with_both_analysers() -> None:
    text = "The app keeps crashing every day and support never answers, 客服也不回复"

    result = analyse(text)

    assert (result.language, result.label, result.analyser, result.analyser_version) == (
        "en",
        "negative",
        "vocsite-mixed",
        "en1+zh1",
    )
    assert result.key_phrases == ("app keeps crashing", "day", "answers", "客服", "回复")


def test_it_routes_mixed_text_by_the_script_with_more_words() -> None:
    text = "The app keeps crashing every day, 客服也一直不回复"

    result = analyse(text)

    assert (result.language, result.label, result.analyser) == ("zh-hans", "negative", "vocsite-mixed")
    assert result.key_phrases == ("客服", "回复", "app keeps crashing", "day")


def test_it_keeps_a_brand_name_inside_chinese_text_on_the_chinese_analyser() -> None:
    text = "用VISTA也不卡的，外观漂亮"

    result = analyse(text)

    assert (result.language, result.analyser, result.label) == ("zh-hans", "vocsite-zh", "positive")


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Great service", "en"),
        ("服务很好", "zh-hans"),
        ("用VISTA也不卡的", "zh-hans"),
        ("日本語のテキストです", "other"),
        ("Отличный сервис", "other"),
        ("좋은 서비스", "other"),
        ("", ""),
        ("12345 !!!", ""),
    ],
)
def test_it_routes_text_by_script(text: str, language: str) -> None:
    detected = detect_language(text)

    assert detected == language


def test_it_gives_other_languages_no_sentiment() -> None:
    text = "Отличный сервис"

    result = analyse(text)

    assert result == TextAnalysis("other", 0.0, "neutral", (), "vocsite-none", "1")


def test_it_loads_each_model_once_per_process() -> None:
    first = (english.model(), chinese.model())

    again = (english.model(), chinese.model())

    assert again[0] is first[0]
    assert again[1] is first[1]


def test_it_writes_a_model_file_byte_for_byte_the_same_and_reads_it_back(tmp_path: Path) -> None:
    model = LinearModel("test", "7", 0.5, {"u:good": 1.25, "cue-": -0.5}, -0.1, 0.1, 0.05)

    write_model(model, tmp_path / "a.json.gz")
    write_model(model, tmp_path / "b.json.gz")

    assert (tmp_path / "a.json.gz").read_bytes() == (tmp_path / "b.json.gz").read_bytes()
    assert read_model(tmp_path / "a.json.gz") == model
    with gzip.open(tmp_path / "a.json.gz", "rt", encoding="utf-8") as handle:
        assert json.load(handle)["weights"] == {"cue-": -0.5, "u:good": 1.25}


def test_it_scores_features_the_model_does_not_know_as_zero() -> None:
    model = LinearModel("test", "7", 2.0, {"u:good": 1.0}, -0.1, 0.1, 0.0)

    unknown = model.polarity({"u:unseen": 1.0})
    known = model.polarity({"u:good": 1.0, "u:unseen": 1.0})

    assert unknown == 0.0
    assert round(known, 4) == 0.9051
    assert (model.label(unknown), model.label(known), model.label(-0.5)) == ("neutral", "positive", "negative")
