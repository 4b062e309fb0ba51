"""Tasks only the tests' workers import (celery worker --include): one that dies with its pool
process every time, as a poison message does, and one that takes its time.
"""

import os
import signal
import time
from pathlib import Path

from celery import Task, shared_task


@shared_task(bind=True, max_retries=2, default_retry_delay=1)
def die_with_the_worker(self: Task, record: str) -> None:
    """Note this delivery, then die as a pool process the kernel's OOM killer picked would."""
    with Path(record).open("a") as lines:
        lines.write(f"{self.request.retries}\n")
    os.kill(os.getpid(), signal.SIGKILL)


@shared_task
def linger(record: str, seconds: float) -> None:
    """Note the start, then hold the message unacknowledged for a while, as a long task does."""
    Path(record).write_text("started")
    time.sleep(seconds)
    Path(record).write_text("finished")
