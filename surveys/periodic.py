"""The periodic tick: every idempotent step of distribution work that time makes due."""

import logging
from datetime import datetime

from surveys import distributions, sending
from surveys.contact_import import contact_import_sweep

logger = logging.getLogger(__name__)


def periodic_tick(*, now: datetime) -> dict[str, int]:
    """Materialise due distributions, queue due reminders, recover lost work, enqueue due emails."""
    figures = {
        "materialised": len(distributions.distributions_materialise_due(now=now)),
        "reminders": sending.reminders_create_due(now=now),
        "released": sending.emails_release_stale_claims(now=now),
        "reconciled": sending.invitations_reconcile_sent(),
        "enqueued": sending.emails_enqueue_due(now=now),
        "finished": distributions.distributions_finish(now=now),
        "imports": contact_import_sweep(),
    }
    logger.info("Tick: %s", figures)
    return figures
