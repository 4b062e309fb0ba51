"""Writes that must survive a database restart, because what they record already happened."""

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import InterfaceError, OperationalError, connection

logger = logging.getLogger(__name__)

T = TypeVar("T")
RESTART_PATIENCE_SECONDS = 60.0


def write_through_restart(write: Callable[[], T], *, patience: float = RESTART_PATIENCE_SECONDS) -> T:
    """Run a write, retrying it on a new connection while the database restarts.

    For records of effects outside the database, such as "the mail server accepted this email":
    if the record were lost with a broken connection, the email would be sent again.
    """
    deadline = time.monotonic() + patience
    pause = 0.2
    while True:
        try:
            return write()
        except (OperationalError, InterfaceError) as error:
            if connection.in_atomic_block or time.monotonic() >= deadline:
                raise
            logger.warning("Database unavailable (%s); retrying the write in %.1f s", error, pause)
            connection.close()
            time.sleep(pause)
            pause = min(pause * 2, 2.0)
