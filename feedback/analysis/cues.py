"""Complaint and praise cues: phrases that carry sentiment in survey replies but not in general lexicons.

"I waited forty minutes on hold" has no sentiment word, yet every survey reader files it as a complaint.
These lists were written by hand from what customer-experience replies say (waiting, things broken or
wrong, money back, repeats, leaving), not mined from the benchmark sets. The models learn how much each
count weighs. Positive alternatives come first in each pattern, so "can't wait" or "no problems" is read
as praise before "wait" or "problem" can be read as a complaint.
"""

import re

_EN_POSITIVE = [
    r"can'?t wait",
    r"cannot wait",
    r"(?:will|would|'ll|'d) (?:definitely |certainly |surely |absolutely )?"
    r"(?:be back|come back|go back|return|buy again|order again|recommend|use (?:it|them|you) again)",
    r"(?:highly|strongly|definitely) recommend(?:ed)?",
    r"recommend(?:ed)? (?:it|this|them|you)",
    r"(?:5|five|10|ten) stars?",
    r"10/10",
    r"on time",
    r"(?:works?|worked|working) (?:great|well|perfectly|fine|flawlessly|like a charm)",
    r"(?:solved|resolved|fixed|sorted)",
    r"exceeded",
    r"above and beyond",
    r"keep (?:it )?up",
    r"thank(?:s| you)",
    r"must[- ]have",
    r"(?:exactly )?as (?:described|advertised|expected|pictured)",
    r"no (?:problems?|issues?|complaints?|hassle)",
    r"nothing (?:wrong|bad)",
    r"(?:never|not) (?:once )?(?:failed|broke|let (?:me|us) down)",
    r"(?:never|not) (?:had|have) (?:a |any )?(?:problems?|issues?)",
    r"(?:fast|quick|prompt|easy|smooth|reliable|comfortable)(?:ly)?",
    # Praise words of service, food and products that neither general lexicon scores.
    r"(?:tasty|yummy|attentive|knowledgeable|courteous|efficient|spacious|cozy|cosy|affordable|reasonabl[ey]|"
    r"tender|juicy|crispy|fresh|clean|polite|professional|patient|accommodating|hassle[- ]free|seamless|"
    r"intuitive|sturdy|durable|responsive)",
]

_EN_NEGATIVE = [
    # A positive quality negated ("wasn't fast", "not worth it").
    r"(?:not|\w+n't|never|no longer) (?:very |that |so |really |too |as |even )?"
    r"(?:fast|quick|prompt|easy|on time|reliable|comfortable|smooth|worth|enough|working|works?|worked|"
    r"tasty|attentive|knowledgeable|courteous|efficient|affordable|reasonable|fresh|clean|polite|professional|"
    r"responsive|sturdy|durable|"
    r"as described|as advertised|as expected|received|arrived|delivered|fixed|resolved|solved|"
    r"hear(?:d)?|get|got|receive|arrive|show(?:ed)? up|call(?:ed)? back|respond(?:ed)?|replied)",
    r"wait(?:ed|ing|s)?",
    r"on hold",
    r"took (?:forever|ages|hours|days|weeks|months)",
    r"(?:hours|days|weeks|months) later",
    r"still (?:waiting|not|no|nothing|haven'?t|hasn'?t|didn'?t|don'?t|doesn'?t|can'?t)",
    r"yet to",
    r"(?:late|delay(?:ed|s)?|slow(?:ly|er|est)?|forever|ages)",
    r"(?:broke|broken|stopped working|crash(?:ed|es|ing)?|fail(?:ed|s|ure)?|errors?|wrong|missing|lost|"
    r"damaged|defective|leak(?:s|ed|ing)?|dead|unusable|glitch(?:es|y)?|bug(?:s|gy)?|freez(?:es|ing)|froze|"
    r"overheat(?:s|ed|ing)?|disconnect(?:s|ed)?|dropp?(?:ed|s|ing)? calls?)",
    r"refund(?:ed|s)?",
    r"overcharg(?:e|ed|es|ing)",
    r"charged (?:me )?(?:twice|again|double|extra)",
    r"double[- ]charged",
    r"(?:return(?:ed|ing)?|sen[dt](?:ing)? back) (?:it|them|this|the|my)",
    r"money back",
    r"wast(?:e|ed) (?:of|my|our|your|time|money)",
    r"cancel(?:l?ed|ling|lation|s)?",
    r"(?:overpriced|over-priced|rip[- ]?off)",
    r"in a row",
    r"again and again",
    r"every (?:single )?time",
    r"(?:second|third|fourth|fifth|\d+(?:st|nd|rd|th)) time",
    r"(?:twice|three times|several times|many times|multiple times)",
    r"(?:no one|no-one|nobody|no body)",
    r"no (?:response|reply|answer|call ?back|follow[- ]up)",
    r"hung up",
    r"transferred",
    r"kept (?:me )?(?:waiting|asking|saying|telling|getting|calling)",
    r"keeps? (?:dropping|crashing|breaking|failing|freezing|happening)",
    r"had to (?:call|ask|wait|go|return|send|repeat|explain|chase|pay)",
    r"(?:supposed|meant) to",
    r"should (?:have|'ve|be|not)",
    r"instead of",
    r"never (?:again|coming back|go back|return|buy|order|use|recommend)",
    r"(?:won'?t|will not|wouldn'?t|would not|not) (?:be back|be returning|return|come back|go back|recommend|"
    r"buy|order|use (?:it|them|you) again)",
    r"(?:switch(?:ing|ed)? to|look(?:ing)? elsewhere|unsubscribe|stay away|don'?t bother)",
    r"too (?:small|big|large|tight|loose|short|long|salty|sweet|cold|hot|dry|expensive|much|little|slow|loud|"
    r"noisy|heavy|thin|greasy|bland|complicated|difficult|hard|late|early|far)",
    r"(?:tasteless|bland|stale|soggy|mushy|lukewarm|burnt|undercooked|overcooked|greasy|dirty|filthy|smelly|"
    r"stained|rude|cold|noisy|cramped|flimsy|cheaply made|confusing|unprofessional|unhelpful|impolite|"
    r"ignored|unanswered|understaffed)",
    r"(?:barely|hardly|unfortunately|meh)",
]

# Phrases that contain a cue word but are no cue ("the wait staff"), consumed so that they count for neither side.
_EN_NEITHER = [
    r"wait(?:ing)? (?:staff|list)",
    r"(?:lost|lose) weight",
]

_ZH_NEITHER = [
    r"快递",
    r"刚才",
]

_ZH_POSITIVE = [
    r"不错",
    r"没(?:有)?(?:问题|毛病)",
    r"还(?:会|要)(?:再)?(?:来|买|点|光顾|入住)",
    r"下次(?:还|再)(?:来|买|点|光顾|入住)",
    r"回头客",
    r"准时",
    r"(?:很|挺|非常|特别|超|蛮|速度)(?:快|及时)",
    r"及时",
    r"(?:谢谢|感谢)",
    r"(?:五|5)星",
    r"(?:已经|马上|很快)?解决了",
]

_ZH_NEGATIVE = [
    r"等了",
    r"才(?:到|送到|来|有人|接|回复|处理|送)",
    r"还(?:没|未)(?:有)?(?:到|送|来|收到|回复|处理|解决|退)",
    r"(?:至今|到现在)",
    r"一直(?:没|不|在等)",
    r"(?:没(?:有)?人|无人)(?:接|理|管|回)?",
    r"没(?:有)?(?:收到|送到|回复|反应|到货)",
    r"(?:不能用|用不了|打不开|登(?:录|陆)不(?:了|上)|连不上|开不了机)",
    r"(?:坏了|坏的|破了|漏了|漏(?:送|发)|少(?:了|送|发|给))",
    r"(?:错了|(?:搞|弄|送|发|写|算|开)错)",
    r"(?:重复(?:扣|收)|扣(?:了|费|钱)|多收|乱收费)",
    r"退(?:款|货|钱)",
    r"投诉",
    r"(?:再也不|不会再|下次(?:不|再也)|不(?:再)?推荐|别买|慎(?:买|重|选|入)|上当|骗)",
    r"(?:超时|迟到|晚了|太慢|慢(?:死|得)|半天|催了)",
    r"(?:连续|又|再次)(?:一次|两次|出错|出现|坏|错)",
    r"(?:凉了|冷了|没反应|卡(?:顿|死)|闪退|死机|掉线)",
    r"(?:敷衍|推脱|踢皮球)",
]


def _compile(neither: list[str], positive: list[str], negative: list[str], word_bounded: bool) -> re.Pattern[str]:
    edge = r"\b" if word_bounded else ""
    skip, pos, neg = "|".join(neither), "|".join(positive), "|".join(negative)
    # Named groups tell which side matched; finditer consumes each match, so one phrase counts once.
    return re.compile(rf"{edge}(?:(?P<skip>{skip})|(?P<pos>{pos})|(?P<neg>{neg})){edge}")


EN_CUES = _compile(_EN_NEITHER, _EN_POSITIVE, _EN_NEGATIVE, word_bounded=True)
ZH_CUES = _compile(_ZH_NEITHER, _ZH_POSITIVE, _ZH_NEGATIVE, word_bounded=False)


def count_cues(pattern: re.Pattern[str], text: str) -> tuple[int, int]:
    """Count praise and complaint cues in lowercased text, as (positive, negative)."""
    positive = negative = 0
    for match in pattern.finditer(text):
        if match.lastgroup == "pos":
            positive += 1
        elif match.lastgroup == "neg":
            negative += 1
    return positive, negative
