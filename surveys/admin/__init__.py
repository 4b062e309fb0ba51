"""Django admin for surveys: one module per concern, registered on import."""

from surveys.admin import contacts, design, distribution, privacy, teams, tokens

__all__ = ["contacts", "design", "distribution", "privacy", "teams", "tokens"]
