"""The Chinese analyser: jieba words and bigrams plus complaint cues, weighed by a logistic regression
trained on the Chinese review sets (bench/train_sentiment.py; feedback/analysis/data/zh_sentiment.json.gz)."""

from feedback.analysis.features import Features, normalise_apostrophes, zh_features, zh_tokens
from feedback.analysis.model import LinearModel, load_model
from feedback.analysis.phrases import zh_key_phrases

ANALYSER = "vocsite-zh"
MODEL_FILE = "zh_sentiment.json.gz"


def model() -> LinearModel:
    """Return the Chinese model, loaded once per process."""
    return load_model(MODEL_FILE)


def features_for(text: str) -> tuple[Features, list[str]]:
    """Return the feature vector of cleaned Chinese text and its jieba tokens."""
    lowered = normalise_apostrophes(text)
    tokens = zh_tokens(lowered)
    return zh_features(lowered, tokens), tokens


def analyse_chinese(text: str, latin_phrases: bool = True) -> tuple[float, tuple[str, ...]]:
    """Return the polarity and key phrases of cleaned Chinese text (Latin words among them if latin_phrases)."""
    features, tokens = features_for(text)
    return model().polarity(features), zh_key_phrases(tokens, latin_phrases)
