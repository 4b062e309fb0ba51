"""Feature extraction shared by the analysers and bench/train_sentiment.py, so training and inference agree.

A feature vector is a dict from feature name to value: for Chinese, "u:" words and "b:" bigrams (presence,
1.0); for both languages, a few dense scores without a prefix (lexicon polarities, cue and negation counts).
"""

import logging
import math
import re
from functools import cache
from typing import TYPE_CHECKING

from feedback.analysis.cues import EN_CUES, ZH_CUES, count_cues

if TYPE_CHECKING:
    import jieba
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

Features = dict[str, float]

# Counts beyond three add little and let one long rant dominate the linear score.
CUE_CAP = 3.0
# Negation reaches this many tokens, or up to the next punctuation mark.
NEGATION_SCOPE = 3

# CJK runs are tokens too, so that in mixed text they break English phrases and negation scopes.
_EN_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[.,!?;:]|[\u3400-\u4dbf\u4e00-\u9fff]+")
_EN_NEGATORS = frozenset(
    "not no never cannot without nothing nobody none neither nor hardly barely cant dont didnt doesnt isnt "
    "wasnt wont wouldnt shouldnt couldnt arent werent havent hasnt lack lacks lacked lacking".split()
)
# VADER's lexicon lists "lack" but not "lacks"; these endings, stripped, find the listed form.
_SUFFIXES = ("s", "es", "ed", "d", "ing", "ly")
# VADER's own damping of a negated word's valence, and its normalisation constant.
_VADER_NEGATION = -0.74
_VADER_ALPHA = 15.0
# "9 out of 10", "4/5 stars": a reviewer's own score says more than any word around it.
_EN_RATING = re.compile(r"\b(\d{1,2}(?:\.\d)?)\s*(?:/|out of)\s*(10|5)\b")
_CLAUSE_BREAK = frozenset(".,!?;:。，！？；：、…~～")
_CJK_START = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
# Tokens that carry nothing on their own; they still break bigrams so "好 。 差" is no bigram.
_ZH_SKIP = re.compile(r"^[\s\W_]+$")


def normalise_apostrophes(text: str) -> str:
    """Lowercase and turn typographic apostrophes into ASCII ones, as both lexicons expect."""
    return text.lower().replace("\u2019", "'").replace("\u2018", "'")


def en_tokens(lowered: str) -> list[str]:
    """Split lowercased English into word and punctuation tokens."""
    return _EN_TOKEN.findall(lowered)


def _inflected_valence(token: str, lexicon: dict[str, float]) -> float:
    for suffix in _SUFFIXES:
        if token.endswith(suffix) and len(token) > len(suffix) + 2:
            valence = lexicon.get(token[: -len(suffix)])
            if valence is not None:
                return valence
    return 0.0


def _is_negator(token: str) -> bool:
    return token in _EN_NEGATORS or token.endswith("n't")


def en_features(lowered: str, tokens: list[str], textblob_polarity: float, vader: dict[str, float]) -> Features:
    """Build the English feature vector from lowercased text, its tokens and the two lexicon scores.

    Dense scores only, no word features: the one English set there is to fit on is movie reviews, and word
    weights learnt from it would carry film vocabulary into survey replies.
    """
    scope = 0
    negators = 0
    extra = 0.0
    lexicon = vader_lexicon()
    for token in tokens:
        if token in _CLAUSE_BREAK or _CJK_START.match(token):
            scope = 0
            continue
        if token not in lexicon:
            valence = _inflected_valence(token, lexicon)
            extra += valence * _VADER_NEGATION if scope else valence
        if _is_negator(token):
            scope = NEGATION_SCOPE
            negators += 1
        else:
            scope = max(scope - 1, 0)
    positive, negative = count_cues(EN_CUES, lowered)
    dense = {
        "cue+": min(positive, CUE_CAP),
        "cue-": min(negative, CUE_CAP),
        # Denial leans negative even with no sentiment word: "didn't believe any of it", "it wasn't anything".
        "neg": min(negators, CUE_CAP),
        # Inflections VADER misses ("sucked" is listed, "lacked" is not), normalised the way VADER normalises.
        "vx": extra / math.sqrt(extra * extra + _VADER_ALPHA) if extra else 0.0,
        "tb": textblob_polarity,
        "vc": vader["compound"],
        "vp": vader["pos"],
        "vn": vader["neg"],
    }
    rating = _EN_RATING.search(lowered)
    if rating:
        value, scale = float(rating.group(1)), float(rating.group(2))
        dense["rating"] = max(-1.0, min(1.0, 2.0 * value / scale - 1.0))
    return _with_nonzero({}, dense)


@cache
def zh_tokenizer() -> "jieba.Tokenizer":
    """Load jieba's dictionary once per process, in a tokenizer of our own so others' user words don't leak in."""
    import jieba

    # jieba announces every dictionary load on stderr at DEBUG level.
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def zh_tokens(lowered: str) -> list[str]:
    """Segment lowercased Chinese text into jieba words (punctuation kept, spaces dropped)."""
    return [token for token in zh_tokenizer().lcut(lowered) if not token.isspace()]


def zh_features(lowered: str, tokens: list[str]) -> Features:
    """Build the Chinese feature vector from lowercased text and its jieba tokens."""
    features: Features = {}
    previous = ""
    for token in tokens:
        if token in _CLAUSE_BREAK or _ZH_SKIP.match(token):
            previous = ""
            continue
        features[f"u:{token}"] = 1.0
        if previous:
            features[f"b:{previous} {token}"] = 1.0
        previous = token
    positive, negative = count_cues(ZH_CUES, lowered)
    return _with_nonzero(features, {"cue+": min(positive, CUE_CAP), "cue-": min(negative, CUE_CAP)})


def _with_nonzero(features: Features, dense: Features) -> Features:
    # Zeros are left out: they add nothing to a score, and in training a feature that is present is regularised,
    # so a cue that fires in one answer of fifty would otherwise be shrunk fifty times as often as it is fitted.
    features.update((name, value) for name, value in dense.items() if value)
    return features


@cache
def vader_analyser() -> "SentimentIntensityAnalyzer":
    """Load VADER's lexicon once per process."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def vader_lexicon() -> dict[str, float]:
    """VADER's word valences."""
    return vader_analyser().lexicon


def en_lexicon_scores(text: str) -> tuple[float, dict[str, float]]:
    """Score text with TextBlob's PatternAnalyzer lexicon and with VADER."""
    from textblob.en import sentiment

    # textblob.en.sentiment is what PatternAnalyzer calls, minus a namedtuple class built per call.
    polarity = float(sentiment(text)[0])
    return polarity, vader_analyser().polarity_scores(text)
