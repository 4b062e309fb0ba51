"""The English analyser: TextBlob and VADER lexicon scores, complaint cues and word features, weighed by a
logistic regression (bench/train_sentiment.py fits it; feedback/analysis/data/en_sentiment.json.gz holds it)."""

from feedback.analysis.features import (
    Features,
    en_features,
    en_lexicon_scores,
    en_tokens,
    normalise_apostrophes,
    vader_lexicon,
)
from feedback.analysis.model import LinearModel, load_model
from feedback.analysis.phrases import en_key_phrases

ANALYSER = "vocsite-en"
MODEL_FILE = "en_sentiment.json.gz"


def model() -> LinearModel:
    """Return the English model, loaded once per process."""
    return load_model(MODEL_FILE)


def features_for(text: str) -> tuple[Features, list[str]]:
    """Return the feature vector of cleaned English text and its lowercased tokens."""
    lowered = normalise_apostrophes(text)
    tokens = en_tokens(lowered)
    textblob_polarity, vader = en_lexicon_scores(text)
    return en_features(lowered, tokens, textblob_polarity, vader), tokens


def analyse_english(text: str) -> tuple[float, tuple[str, ...]]:
    """Return the polarity and key phrases of cleaned English text."""
    features, tokens = features_for(text)
    return model().polarity(features), en_key_phrases(tokens, vader_lexicon())
