"""Django admin for feedback: one module per concern, registered on import."""

from feedback.admin import digests, loop, responses

__all__ = ["digests", "loop", "responses"]
