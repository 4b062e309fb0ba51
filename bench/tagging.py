"""Benchmark: tagging throughput per core of feedback.analysis.analyse(), beside bare TextBlob in the same run.

One process, one thread. The English texts are the UCI and VADER tweet sentences, the Chinese ones the hotel,
food-delivery and shopping reviews (../shared/data/sentiment/eval/, read in place). Each text goes through the
real code path: cleaning, language detection, sentiment and key phrases. The baseline is bare
PatternAnalyzer().analyze(text) over the same texts. Rates are texts per CPU second of this process (so other
load on the machine does not count against them), the median of three passes, after both analysers are loaded
(load time and peak memory are printed separately).

Goal: at least 2,000 English and 1,000 Chinese texts a second. ratio = our English rate / the bare
PatternAnalyzer rate on the same English texts.

Usage: .venv/bin/python bench/tagging.py [--quick]
"""

import argparse
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

EVAL = ROOT.parent / "shared" / "data" / "sentiment" / "eval"
EN_SETS = ["en_uci_amazon", "en_uci_yelp", "en_uci_imdb", "en_vader_tweets"]
ZH_SETS = ["zh_hotel", "zh_waimai", "zh_shopping"]
GOAL_EN = 2_000
GOAL_ZH = 1_000
PASSES = 3
QUICK_TEXTS = 500


def read_texts(names: list[str], limit: int | None) -> list[str]:
    """The text column of the named sets, interleaved so a sample mixes them."""
    columns = [
        [line.partition("\t")[2] for line in (EVAL / f"{name}.tsv").read_text(encoding="utf-8").splitlines()]
        for name in names
    ]
    mixed = [text for group in zip(*columns, strict=False) for text in group]
    return mixed[:limit] if limit else mixed


def rate(texts: list[str], work: Callable[[str], object]) -> float:
    """Median texts per CPU second of this process over PASSES passes."""
    rates = []
    for _ in range(PASSES):
        # CPU time of this one thread is the per-core cost, and stays honest when other work shares the machine.
        started = time.process_time()
        for text in texts:
            work(text)
        rates.append(len(texts) / (time.process_time() - started))
    return statistics.median(rates)


def peak_mib() -> float:
    """Peak resident memory of this process so far (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    """Measure both languages and the baseline, and print the RESULT line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_TEXTS} texts a language")
    args = parser.parse_args()
    limit = QUICK_TEXTS if args.quick else None
    english, chinese = read_texts(EN_SETS, limit), read_texts(ZH_SETS, limit)
    print(f"peak memory before loading: {peak_mib():.0f} MiB")

    started = time.perf_counter()
    from textblob.sentiments import PatternAnalyzer

    from feedback.analysis import analyse

    analyse(english[0])
    en_loaded = time.perf_counter() - started
    analyse(chinese[0])
    both_loaded = time.perf_counter() - started
    print(f"load: English analyser {en_loaded:.2f} s, both {both_loaded:.2f} s (cold, first call)")
    print(f"peak memory after loading both analysers: {peak_mib():.0f} MiB")

    bare = PatternAnalyzer()
    ours_en = rate(english, analyse)
    ours_zh = rate(chinese, analyse)
    bare_en = rate(english, bare.analyze)
    bare_zh = rate(chinese, bare.analyze)
    en_chars = sum(map(len, english)) / len(english)
    zh_chars = sum(map(len, chinese)) / len(chinese)
    print(f"\n{'texts':<34}{'count':>7}{'avg chars':>10}{'analyse()/s':>13}{'PatternAnalyzer/s':>19}{'ratio':>7}")
    print(f"{'English':<34}{len(english):>7}{en_chars:>10.0f}{ours_en:>13.0f}{bare_en:>19.0f}{ours_en / bare_en:>7.2f}")
    print(f"{'Chinese':<34}{len(chinese):>7}{zh_chars:>10.0f}{ours_zh:>13.0f}{bare_zh:>19.0f}{ours_zh / bare_zh:>7.2f}")
    print(f"peak memory at the end: {peak_mib():.0f} MiB")
    passed = ours_en >= GOAL_EN and ours_zh >= GOAL_ZH
    print(
        f"RESULT en_per_s={ours_en:.0f} zh_per_s={ours_zh:.0f} ratio={ours_en / bare_en:.2f} "
        f"goal={GOAL_EN}/{GOAL_ZH} pass={'yes' if passed else 'no'}"
    )


if __name__ == "__main__":
    main()
