"""Celery tasks for contact imports: thin wrappers that take ids and call one service."""

from celery import shared_task

from surveys import contact_import


# An hour: a 50 MB file is a few hundred thousand rows, far more than the default limits allow.
# Progress commits per chunk, so a run stopped by the limit resumes through the sweep.
@shared_task(acks_late=True, soft_time_limit=3600, time_limit=3660)
def contact_import_run_task(import_id: int) -> None:
    """Import the remaining rows of one contact import; quiet if it is gone, done or held by another run."""
    contact_import.contact_import_run(import_id=import_id)


@shared_task(acks_late=True)
def contact_import_sweep_task() -> None:
    """Re-enqueue contact imports whose message was lost or whose worker stopped."""
    contact_import.contact_import_sweep()
