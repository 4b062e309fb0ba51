"""A logging filter that masks email addresses and link tokens in every record it passes."""

import logging

from vocsite.privacy.masking import mask_personal_data

_formatter = logging.Formatter()


class MaskPersonalData(logging.Filter):
    """Rewrites the record's message, exception and stack text with personal data masked.

    Attached to handlers (not loggers), so it sees records propagated from every logger.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            # A malformed call (wrong arguments); the handler reports it as logging always does.
            message = mask_personal_data(f"{record.msg!s} {record.args!r}")
        record.msg = mask_personal_data(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = _formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personal_data(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_personal_data(record.stack_info)
        return True


def mask_handlers(logger: logging.Logger) -> None:
    """Put the filter on every handler of this logger (once)."""
    for handler in logger.handlers:
        if not any(isinstance(existing, MaskPersonalData) for existing in handler.filters):
            handler.addFilter(MaskPersonalData())
