"""Django admin for feedback: one module per concern, registered on import."""

from feedback.admin import loop, responses

__all__ = ["loop", "responses"]
