"""A thin-link simulator: a TCP proxy on loopback that adds latency and caps throughput.

Each direction of each connection is delayed by half the round trip and paced to the given
bit rate, roughly what a 64 kbit/s mobile link with a 300 ms round trip does to the desk. It
runs in a background thread with its own event loop and stops with :meth:`Throttle.stop`.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time


class Throttle:
    def __init__(
        self,
        target_port: int,
        *,
        kbit_per_s: float = 64.0,
        rtt_ms: float = 300.0,
        host: str = "127.0.0.1",
    ) -> None:
        self.target_port = target_port
        self.host = host
        self.bytes_per_s = kbit_per_s * 1000 / 8
        self.one_way = rtt_ms / 2000
        self.port = 0
        self.bytes_up = 0
        self.bytes_down = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> Throttle:
        self._thread.start()
        self._ready.wait(10)
        return self

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def __enter__(self) -> Throttle:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._client, self.host, 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        server.close()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # Loopback accepts at once; a real link spends one round trip on the TCP handshake.
        await asyncio.sleep(2 * self.one_way)
        try:
            up_reader, up_writer = await asyncio.open_connection(self.host, self.target_port)
        except OSError:
            writer.close()
            return
        await asyncio.gather(
            self._pipe(reader, up_writer, "up"), self._pipe(up_reader, writer, "down")
        )

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, direction: str
    ) -> None:
        # The link is a queue: a chunk leaves when the one before it has been transmitted at
        # the link's rate, and arrives one-way latency later; chunks are pipelined.
        queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()
        deliver = asyncio.ensure_future(self._deliver(queue, writer))
        link_free_at = 0.0
        try:
            while chunk := await reader.read(4096):
                if direction == "up":
                    self.bytes_up += len(chunk)
                else:
                    self.bytes_down += len(chunk)
                start = max(time.monotonic(), link_free_at)
                link_free_at = start + len(chunk) / self.bytes_per_s
                queue.put_nowait((link_free_at + self.one_way, chunk))
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            queue.put_nowait(None)
            with contextlib.suppress(Exception):
                await deliver

    @staticmethod
    async def _deliver(
        queue: asyncio.Queue[tuple[float, bytes] | None], writer: asyncio.StreamWriter
    ) -> None:
        try:
            while (item := await queue.get()) is not None:
                at, chunk = item
                await asyncio.sleep(max(0.0, at - time.monotonic()))
                writer.write(chunk)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()
