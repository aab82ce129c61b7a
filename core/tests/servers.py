"""Real servers the outbox tests start and stop themselves: a Redis broker and an SMTP server.

Never the shared Redis on 6379: `OwnRedis` runs a redis-server of this test on a spare port of
16410-16419 (the range given to the outbox tests), so stopping it breaks nobody else.
"""

import base64
import json
import shutil
import socket
import socketserver
import subprocess
import tempfile
import threading
import time

import redis

PORTS = range(16410, 16420)


def _port_is_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


class OwnRedis:
    def __init__(self):
        self.port = next((p for p in PORTS if _port_is_free(p)), None)
        assert self.port, "no free port in 16410-16419 for the test's own Redis"
        self.process: subprocess.Popen | None = None
        self.dir = tempfile.mkdtemp(prefix=f"kramar-redis-{self.port}-")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "OwnRedis":
        self.process = subprocess.Popen(
            # Like production (docker-compose.yml): an append-only file, so what is queued survives a restart.
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes"]
            + ["--dir", self.dir],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if self.client().ping():
                    return self
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server on port {self.port} did not start")

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_connect_timeout=1, socket_timeout=2)

    def queued(self, queue: str = "celery") -> list[dict]:
        """The task messages waiting in `queue`, oldest first: {"id", "task", "kwargs"}."""
        messages = []
        for raw in reversed(self.client().lrange(queue, 0, -1)):  # kombu LPUSHes, workers pop the right end
            envelope = json.loads(raw)
            _args, kwargs, _embed = json.loads(base64.b64decode(envelope["body"]))
            headers = envelope["headers"]
            messages.append({"id": headers["id"], "task": headers["task"], "kwargs": kwargs})
        return messages


class FakeSMTPServer:
    """A minimal SMTP server on 127.0.0.1: records each message; `fail_next(code, times)` answers
    the next connections with `code` (421: try later; 550 on RCPT: mailbox refused)."""

    def __init__(self):
        self.messages: list[bytes] = []
        self.failures: list[int] = []
        self.connections = 0
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                outer.connections += 1
                failure = outer.failures.pop(0) if outer.failures else None
                if failure and failure < 500:
                    self.wfile.write(f"{failure} try again later\r\n".encode())
                    return
                self.wfile.write(b"220 fake ESMTP\r\n")
                data = None
                while line := self.rfile.readline():
                    command = line.strip().upper()
                    if data is not None:
                        if line in (b".\r\n", b".\n"):
                            outer.messages.append(b"".join(data))
                            data = None
                            self.wfile.write(b"250 queued\r\n")
                        else:
                            data.append(line)
                    elif command.startswith((b"EHLO", b"HELO")):
                        self.wfile.write(b"250 fake\r\n")
                    elif command.startswith(b"RCPT") and failure:
                        self.wfile.write(f"{failure} mailbox unavailable\r\n".encode())
                    elif command.startswith(b"DATA"):
                        data = []
                        self.wfile.write(b"354 go on\r\n")
                    elif command.startswith(b"QUIT"):
                        self.wfile.write(b"221 bye\r\n")
                        return
                    else:  # MAIL, RCPT, RSET, NOOP
                        self.wfile.write(b"250 ok\r\n")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def fail_next(self, code: int, times: int = 1) -> None:
        self.failures.extend([code] * times)

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
