"""Key phrases: RAKE-style runs of content words for English, TF-IDF over jieba words for Chinese.

Both work from the tokens the sentiment step already made, so a phrase costs no second pass of the segmenter.
The Chinese IDF table is the one jieba ships (jieba/analyse/idf.txt).
"""

import re
from collections import Counter
from collections.abc import Container
from functools import cache
from importlib import resources

MAX_PHRASES = 5
# RAKE favours long runs; past three words a "phrase" is usually a clause that lost its stop words.
MAX_PHRASE_WORDS = 3

EN_STOP_WORDS = frozenset(
    """
    a about above across after again against all almost also although always am among an and another any
    anybody anyone anything anyway anywhere are aren't around as at be became because been before being below
    between both but by can can't cannot could couldn't did didn't do does doesn't doing don't done down during
    each either else enough etc even ever every everybody everyone everything few for from further get gets
    getting got gotten had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself
    him himself his how how's however i i'd i'll i'm i've if in into is isn't it it's its itself just least
    less let let's like lot lots made make makes many may maybe me might mine more most much must my myself
    neither never no nobody none nor not nothing now of off often on once one ones only onto or other others
    otherwise our ours ourselves out over own per perhaps quite rather really said same say says see seem seemed
    seems several shall shan't she she'd she'll she's should shouldn't since so some somebody someone something
    sometimes somewhat soon still such than that that's the their theirs them themselves then there there's
    therefore these they they'd they'll they're they've thing things this those though through thus to together
    too toward towards under until up upon us use used very via was wasn't we we'd we'll we're we've well were
    weren't what what's whatever when when's where where's whether which while who who's whom whose why why's
    will with within without won't would wouldn't yes yet you you'd you'll you're you've your yours yourself
    yourselves ok okay please thanks thank im ive dont didnt doesnt cant wont isnt wasnt
    """.split()
)

# Function words and fillers that jieba keeps as words of two or more characters.
ZH_STOP_WORDS = frozenset(
    """
    我们 你们 他们 她们 它们 咱们 自己 大家 这个 那个 这些 那些 这样 那样 这么 那么 这里 那里 这儿 那儿 这边 那边
    什么 怎么 怎样 为什么 为何 哪里 哪个 因为 所以 但是 可是 不过 而且 并且 然后 然而 如果 要是 虽然 尽管 还是 或者
    就是 也是 不是 没有 已经 非常 比较 特别 十分 真的 确实 其实 觉得 感觉 认为 一个 一下 一些 一点 一般 一直 一样
    还有 可以 可能 应该 需要 知道 时候 东西 这次 那次 以后 之后 之前 以前 现在 今天 昨天 明天 只是 只有 而已 的话
    很多 太多 有点 有些 有的 总体 总之 整体 下次 再次 每次 第一次 一次 两次 有人 没人 这家 那家 本来 当时 然后 还是
    并且 同时 另外 此外 比如 例如 而是 不仅 不但 还要 还会 就要 可惜 反正 毕竟 简直 居然 竟然 果然 终于 其中 之类
    以及 等等 方面 情况 问题 一定 肯定 好像 似乎 实在 完全 十分 相当 挺好 还行 不错 很好 满意 喜欢
    """.split()
)

_EN_WORD = re.compile(r"[a-z][a-z0-9'-]*|\d+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_LATIN = re.compile(r"^[a-z][a-z0-9'-]{2,}$")


def en_key_phrases(tokens: list[str], sentiment_words: Container[str] = frozenset()) -> tuple[str, ...]:
    """Rank runs of content words by RAKE score (word degree over frequency, summed over the phrase).

    A phrase that is one sentiment word alone ("terrible") is dropped: it says how, not what about.
    """
    runs: list[list[str]] = []
    current: list[str] = []
    for token in tokens:
        if not _EN_WORD.fullmatch(token) or token in EN_STOP_WORDS:
            if current:
                runs.append(current)
                current = []
            continue
        current.append(token)
    if current:
        runs.append(current)
    candidates = [
        run[start : start + MAX_PHRASE_WORDS]
        for run in runs
        for start in range(0, len(run), MAX_PHRASE_WORDS)
        # A run of numbers or of one-letter words names nothing.
        if any(len(word) > 2 and not word.isdigit() for word in run[start : start + MAX_PHRASE_WORDS])
    ]
    frequency: Counter[str] = Counter()
    degree: Counter[str] = Counter()
    for phrase in candidates:
        for word in phrase:
            frequency[word] += 1
            degree[word] += len(phrase)
    return _top(
        {
            " ".join(phrase): sum(degree[word] / frequency[word] for word in phrase)
            for phrase in candidates
            if len(phrase) > 1 or phrase[0] not in sentiment_words
        }
    )


@cache
def zh_idf() -> tuple[dict[str, float], float]:
    """Jieba's IDF table and its median, loaded once per process."""
    idf: dict[str, float] = {}
    text = resources.files("jieba").joinpath("analyse", "idf.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        word, _, value = line.partition(" ")
        if value:
            idf[word] = float(value)
    values = sorted(idf.values())
    return idf, values[len(values) // 2]


def zh_key_phrases(tokens: list[str], latin: bool = True) -> tuple[str, ...]:
    """Rank jieba words by term frequency times jieba's IDF (unknown words get the median IDF).

    Latin words ("vista") count too unless latin is False, as in mixed text, where the English side has them.
    """
    counts = Counter(
        token
        for token in tokens
        if token not in ZH_STOP_WORDS
        and (
            (len(token) >= 2 and _CJK.search(token) is not None)
            or (latin and _LATIN.match(token) is not None and token not in EN_STOP_WORDS)
        )
    )
    if not counts:
        return ()
    idf, median = zh_idf()
    return _top({word: count * idf.get(word, median) for word, count in counts.items()})


def _top(scores: dict[str, float]) -> tuple[str, ...]:
    # dicts keep insertion order, so sorting on score alone leaves ties in order of first appearance.
    ranked = sorted(scores, key=lambda phrase: -scores[phrase])
    return tuple(ranked[:MAX_PHRASES])
