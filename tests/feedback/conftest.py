"""Fixtures of the feedback tests."""

from collections.abc import Iterator
from typing import Any

import pytest

from tests.receiver import Receiver


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    """A webhook receiver on 127.0.0.1: a private address, so private addresses are allowed."""
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    running = Receiver().start()
    yield running
    running.stop()
