"""Loopback HTTP servers that behave as told: fixed latencies, a known share of failures."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# (delay in seconds, status) for the n-th request (0-based), in arrival order.
Behaviour = Callable[[int], tuple[float, int]]


def cycling_delays(delays: Sequence[float]) -> Behaviour:
    """Request n waits delays[n % len(delays)] and answers 200."""
    return lambda n: (delays[n % len(delays)], 200)


def failing_every(period: int, failures: int) -> Behaviour:
    """Of every `period` requests, the first `failures` answer 503."""
    return lambda n: (0.0, 503 if n % period < failures else 200)


@contextmanager
def serving(behaviour: Behaviour) -> Iterator[str]:
    """Serve `behaviour` on 127.0.0.1 for every GET path; yield the base URL."""
    counter = itertools.count()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # else headers and body wait on a delayed ACK (40 ms)

        def do_GET(self) -> None:
            with lock:
                n = next(counter)
            delay, status = behaviour(n)
            time.sleep(delay)
            body = b'{"ok": true}'
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
