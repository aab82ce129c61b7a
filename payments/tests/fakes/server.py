"""A tiny real HTTP server for tests: a provider's API, spoken on 127.0.0.1.

The adapters' real HTTP code runs against it; only the process boundary is faked.
Subclass FakeProviderServer and implement `handle(path, body, headers) -> (status, body_bytes,
content_type)`. `fail_next(status_or_exception_kind, times)` makes the next calls fail:
an int is an HTTP status to answer with, "timeout" sleeps past the client's timeout.
"""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeProviderServer:
    def __init__(self):
        self.requests: list[tuple[str, bytes, dict]] = []
        self._failures: list = []
        self._lock = threading.Lock()
        handler = self._make_handler()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def fail_next(self, kind, times: int = 1):
        with self._lock:
            self._failures.extend([kind] * times)

    def handle(self, path: str, body: bytes, headers: dict) -> tuple[int, bytes, str]:
        raise NotImplementedError

    def _make_handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                with server._lock:
                    server.requests.append((self.path, body, headers))
                    failure = server._failures.pop(0) if server._failures else None
                if failure == "timeout":
                    time.sleep(3)
                    status, payload, ctype = 504, b"", "text/plain"
                elif isinstance(failure, int):
                    status, payload, ctype = failure, b"failure injected by the test", "text/plain"
                else:
                    status, payload, ctype = server.handle(self.path, body, headers)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        return Handler
