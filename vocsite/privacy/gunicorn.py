"""Gunicorn's logger with personal data masked: access lines carry the survey link's token."""

from typing import Any

from gunicorn import glogging

from vocsite.privacy.logs import mask_handlers


class MaskingLogger(glogging.Logger):
    """Gunicorn's error and access logs, through the same filter as Django's (Procfile --logger-class)."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        mask_handlers(self.error_log)
        mask_handlers(self.access_log)
