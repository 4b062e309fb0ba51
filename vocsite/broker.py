"""The Redis transport of Celery, hardened against one way a broker outage kills a worker.

When the connection drops while a worker holds unacknowledged messages, Celery 5.7 clears the
connection and then closes it; closing tries to hand the messages back to Redis, and finding
no connection details left, kombu 5.7 raises AttributeError, which Celery treats as fatal: the
worker exits ("Unrecoverable error"), and under honcho every other process goes with it. Said
as the connection error it is, it is ignored like any other, the worker reconnects when Redis
is back, and Redis gives the messages out again after the visibility timeout.
"""

from typing import Any

from kombu.transport import redis as kombu_redis
from redis.exceptions import ConnectionError as RedisConnectionError


class Channel(kombu_redis.Channel):
    def _connparams(self, asynchronous: bool = False) -> Any:
        if self.connection.client is None:
            raise RedisConnectionError("The broker connection was already closed.")
        return super()._connparams(asynchronous=asynchronous)


class Transport(kombu_redis.Transport):
    Channel = Channel
