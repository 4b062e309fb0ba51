"""The linear sentiment model: weights in a gzip'd JSON file, scored in plain Python."""

import gzip
import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from feedback.analysis.features import Features

DATA = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class LinearModel:
    """Logistic-regression weights and the cuts that turn a polarity into labels."""

    name: str
    version: str
    bias: float
    weights: dict[str, float]
    # Below negative_cut a text is negative, above positive_cut positive, neutral in between.
    negative_cut: float
    positive_cut: float
    # Where a two-way (positive / negative) decision splits, for benchmarks against binary labels.
    binary_cut: float

    def polarity(self, features: Features) -> float:
        """Score features as a polarity in [-1, 1]; a text with no known feature scores exactly 0."""
        return linear_polarity(self.bias, self.weights, features)

    def label(self, polarity: float) -> str:
        """Turn a polarity into "negative", "neutral" or "positive"."""
        if polarity < self.negative_cut:
            return "negative"
        if polarity > self.positive_cut:
            return "positive"
        return "neutral"

    def to_json(self) -> dict[str, object]:
        """Return the model as the JSON object that load_model reads back."""
        return {
            "name": self.name,
            "version": self.version,
            "bias": self.bias,
            "negative_cut": self.negative_cut,
            "positive_cut": self.positive_cut,
            "binary_cut": self.binary_cut,
            "weights": self.weights,
        }


def linear_polarity(bias: float, weights: dict[str, float], features: Features) -> float:
    """The model's probability of "positive" rescaled to [-1, 1], or 0 when no feature is known to the model."""
    score = 0.0
    known = False
    for name, value in features.items():
        weight = weights.get(name)
        if weight is not None:
            score += weight * value
            known = True
    # With no evidence at all ("we use the web version") the bias alone would lean toward whichever class
    # the training data had more of; such an answer is neutral.
    if not known:
        return 0.0
    # tanh(z / 2) equals 2 * sigmoid(z) - 1.
    return math.tanh((bias + score) / 2.0)


def read_model(path: Path) -> LinearModel:
    """Read a model from a gzip'd JSON file."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        data = json.load(handle)
    return LinearModel(
        name=data["name"],
        version=data["version"],
        bias=float(data["bias"]),
        weights={name: float(weight) for name, weight in data["weights"].items()},
        negative_cut=float(data["negative_cut"]),
        positive_cut=float(data["positive_cut"]),
        binary_cut=float(data["binary_cut"]),
    )


def write_model(model: LinearModel, path: Path) -> None:
    """Write a model as gzip'd JSON, byte for byte the same for the same weights."""
    text = json.dumps(model.to_json(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    # mtime=0 keeps the gzip header free of the build time, so a retrain that changes nothing changes no byte.
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as handle:
        handle.write(text.encode("utf-8"))


@cache
def load_model(filename: str) -> LinearModel:
    """Load a committed model from the data folder, once per process."""
    return read_model(DATA / filename)
