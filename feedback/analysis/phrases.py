"""Key phrases (placeholder)."""


def en_key_phrases(tokens: list[str]) -> tuple[str, ...]:
    """Placeholder."""
    return ()


def zh_key_phrases(tokens: list[str]) -> tuple[str, ...]:
    """Placeholder."""
    return ()
