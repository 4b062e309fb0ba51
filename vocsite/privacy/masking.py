"""Masking email addresses and link tokens in text, for logs. No Django imports."""

import re

MASKED_EMAIL = "[email]"
MASKED_TOKEN = "[token]"  # noqa: S105 - a placeholder, not a secret

# Addresses as written, and as they appear percent-encoded in a logged URL.
EMAIL_PATTERN = re.compile(r"[\w.+-]+(?:@|%40)[\w-]+(?:\.[\w-]+)+")
# A run of URL-safe characters long enough to be a token (ours are 32, API tokens 40).
RUN_PATTERN = re.compile(r"(?<![\w-])[\w-]{24,}(?![\w-])", re.ASCII)
HEX_PATTERN = re.compile(r"[0-9a-f]{32,}")
# Names in code (class names, snake_case, CamelCase) are long too, but are made of words.
IDENTIFIER_PATTERN = re.compile(r"_*[A-Za-z]?[a-z]+(?:_*[A-Z]?[a-z]+)*_*")


def looks_like_token(run: str) -> bool:
    """Random URL-safe text mixes cases (or is long hex); words and UUIDs do not."""
    if HEX_PATTERN.fullmatch(run):
        return True
    mixed_case = any(c.isupper() for c in run) and any(c.islower() for c in run)
    return mixed_case and not IDENTIFIER_PATTERN.fullmatch(run)


def _mask_run(match: re.Match[str]) -> str:
    return MASKED_TOKEN if looks_like_token(match.group(0)) else match.group(0)


def mask_tokens(text: str) -> str:
    """The text with every token-like string replaced by a placeholder."""
    return RUN_PATTERN.sub(_mask_run, text)


def mask_personal_data(text: str) -> str:
    """The text with every email address and token-like string replaced by a placeholder."""
    return mask_tokens(EMAIL_PATTERN.sub(MASKED_EMAIL, text))
