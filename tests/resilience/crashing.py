"""A task that dies with the pool process running it, every time: what a poison message does.

Only the redelivery-cap test's worker imports it (celery worker --include).
"""

import os
import signal
from pathlib import Path

from celery import Task, shared_task


@shared_task(bind=True, max_retries=2, default_retry_delay=1)
def die_with_the_worker(self: Task, record: str) -> None:
    """Note this delivery, then die as a pool process the kernel's OOM killer picked would."""
    with Path(record).open("a") as lines:
        lines.write(f"{self.request.retries}\n")
    os.kill(os.getpid(), signal.SIGKILL)
