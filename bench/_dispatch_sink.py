"""An SMTP sink for bench/dispatch.py: accepts every message, keeps nothing, only counts.

It runs in its own process so its CPU is not counted in the bench process. A second port
answers every connection with one line, "<messages> <bytes>", and closes.

Usage: .venv/bin/python bench/_dispatch_sink.py SMTP_PORT CONTROL_PORT
"""

import asyncio
import signal
import sys
from typing import Any

from aiosmtpd.smtp import SMTP

HOST = "127.0.0.1"


class CountingHandler:
    """Counts accepted messages and their bytes; refuses nothing."""

    def __init__(self) -> None:
        self.messages = 0
        self.bytes = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages += 1
        self.bytes += len(envelope.original_content or envelope.content or b"")
        return "250 Message accepted"


async def serve(smtp_port: int, control_port: int) -> None:
    """Serve SMTP and the control port until SIGTERM or SIGINT."""
    handler = CountingHandler()
    loop = asyncio.get_running_loop()
    smtp = await loop.create_server(lambda: SMTP(handler, hostname="bench-sink"), HOST, smtp_port)

    async def report(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(f"{handler.messages} {handler.bytes}\n".encode())
        await writer.drain()
        writer.close()

    control = await asyncio.start_server(report, HOST, control_port)
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    print("READY", flush=True)
    await stop.wait()
    smtp.close()
    control.close()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1]), int(sys.argv[2])))
