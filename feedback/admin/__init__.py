"""Django admin for feedback: one module per concern, registered on import."""

from feedback.admin import accounts, digests, loop, responses, webhooks

__all__ = ["accounts", "digests", "loop", "responses", "webhooks"]
