"""A small closed-loop HTTP load generator: N threads, each with its own connection.

Every phase of a benchmark runs through the same code, so the client's own overhead (it
shares the machine with the server) is the same in the baseline and in the measured phase
and cancels out of the ratio.
"""

import http.client
import itertools
import json
import math
import threading
import time
from collections import Counter
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes | None = None
    headers: dict = field(default_factory=dict)

    @classmethod
    def json(cls, method: str, path: str, payload, headers: dict | None = None) -> "Request":
        return cls(
            method,
            path,
            json.dumps(payload).encode(),
            {"Content-Type": "application/json", "Accept": "application/json", **(headers or {})},
        )


@dataclass
class Outcome:
    status: int  # 0: no HTTP answer (connection refused, reset, timed out)
    seconds: float
    code: str = ""  # the API's error code ({"code": ...}) for an error answer
    body: bytes = b""


@dataclass
class PhaseResult:
    outcomes: list[Outcome]
    seconds: float

    @property
    def requests(self) -> int:
        return len(self.outcomes)

    def count(self, status: int) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    def per_second(self, status: int | None = None) -> float:
        n = self.requests if status is None else self.count(status)
        return n / self.seconds if self.seconds else 0.0

    def percentile_ms(self, p: float) -> float:
        """The p-th percentile latency (nearest rank), in milliseconds."""
        latencies = sorted(o.seconds for o in self.outcomes)
        if not latencies:
            return 0.0
        rank = max(1, math.ceil(p / 100 * len(latencies)))
        return latencies[rank - 1] * 1000

    def by_status(self) -> Counter:
        """{"201": 50, "409 out_of_stock": 350, ...}"""
        return Counter(f"{o.status} {o.code}".strip() if o.status != 201 else "201" for o in self.outcomes)


def _error_code(body: bytes) -> str:
    try:
        payload = json.loads(body)
    except ValueError:
        return ""
    return str(payload.get("code", "")) if isinstance(payload, dict) else ""


def run_load(*, host: str, port: int, requests: list[Request], concurrency: int, timeout: float = 60) -> PhaseResult:
    """Send `requests` with `concurrency` threads, each taking the next one as soon as it is free.

    Connections are kept alive when the server allows it; http.client reconnects by itself
    when the server closes one (gunicorn's sync workers close after every answer).
    """
    next_index = itertools.count()  # next() on a count is atomic under the GIL
    outcomes: list[Outcome | None] = [None] * len(requests)
    ready = threading.Barrier(concurrency + 1)

    def worker() -> None:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
        ready.wait()
        while (i := next(next_index)) < len(requests):
            request = requests[i]
            started = time.perf_counter()
            try:
                conn.request(request.method, request.path, body=request.body, headers=request.headers)
                response = conn.getresponse()
                body = response.read()
                status = response.status
                code = "" if status < 400 else _error_code(body)
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                status, body, code = 0, b"", type(exc).__name__
            outcomes[i] = Outcome(status, time.perf_counter() - started, code, body if status >= 400 else b"")
        conn.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    ready.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return PhaseResult([o for o in outcomes if o is not None], elapsed)
