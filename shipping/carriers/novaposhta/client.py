"""Nova Poshta (API 2.0, JSON): the HTTP client, its throttle and how it classifies failures.

Everything here follows docs/reference notes in /work/shared/reference/novaposhta.md (section
numbers below point there). Two rules shape the code:

* `InternetDocument.save` is not idempotent and NP has no idempotency key, so no call is ever
  retried at the HTTP layer. A timeout, 5xx, 429, dropped connection or non-JSON answer is a
  *transient* CarrierError; for a save that means "outcome unknown" and the caller reconciles
  with `find_waybills` (our order number travels in `InfoRegClientBarcodes`) before retrying.
* The API key is a bearer secret. It goes in the JSON body of API calls; the label URLs of
  my.novaposhta.ua carry it in the path, so those are built only inside `label_pdf`, fetched
  server-side, and never logged, returned or put into an exception.
"""

import logging
import re
import threading
import time
from collections.abc import Callable

import requests
from requests.adapters import HTTPAdapter

from shipping.carriers.base import CarrierError

logger = logging.getLogger(__name__)

API_URL = "https://api.novaposhta.ua/v2.0/json/"
PRINT_URL = "https://my.novaposhta.ua/orders/"
TRACK_BATCH_LIMIT = 100  # §4: "up to 100 shipments per call"

# §1.3: codes that mean "NP could not serve this right now"; retrying later may succeed.
TRANSIENT_CODES = frozenset({"20000100016", "20001400980", "20001701795", "20000101696"})
AUTH_FAIL_CODE = "20000200068"
# §6: NP's own spelling is "To many requests"; match the correct spelling too.
RATE_LIMIT_TEXT = re.compile(r"too? many requests", re.IGNORECASE)
TRANSIENT_HTTP_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


def _join_errors(errors) -> str:
    """NP's `errors` as one line: it may be a list, a dict (keyed per field) or a string (§1.2)."""
    if not errors:
        return ""
    if isinstance(errors, str):
        return errors
    if isinstance(errors, dict):
        return "; ".join(f"{key}: {value}" for key, value in errors.items())
    if isinstance(errors, list | tuple):
        return "; ".join(_join_errors(item) for item in errors if item)
    return str(errors)


def _codes(raw) -> tuple[str, ...]:
    if not raw:
        return ()
    if isinstance(raw, dict):
        raw = list(raw.values())
    if not isinstance(raw, list | tuple):
        raw = [raw]
    return tuple(str(code) for code in raw if str(code).strip())


# --- throttling ---------------------------------------------------------------------------------


class Throttle:
    """Space calls at least `min_interval` seconds apart across every thread that shares it.

    A caller reserves the next free slot under the lock and sleeps outside it, so waiting
    threads queue up in order instead of all firing when one slot frees.
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_free: float | None = None

    def wait(self, min_interval: float) -> float:
        """Block until this caller may call; return the seconds it slept."""
        with self._lock:
            now = self._clock()
            start = now if self._next_free is None else max(now, self._next_free)
            self._next_free = start + min_interval
        delay = start - now
        if delay > 0:
            self._sleep(delay)
        return max(delay, 0.0)


# One per process: NP rate-limits per key, and every client in this process shares it.
PROCESS_THROTTLE = Throttle()


class _RedactApiKeyPaths(logging.Filter):
    """urllib3 logs request paths at DEBUG; label URLs carry the key there, so mask it."""

    pattern = re.compile(r"(/apiKey/)[^/\s\"]+")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any("/apiKey/" in str(arg) for arg in record.args):
            record.args = tuple(self.pattern.sub(r"\1***", arg) if isinstance(arg, str) else arg for arg in record.args)
        if isinstance(record.msg, str) and "/apiKey/" in record.msg:
            record.msg = self.pattern.sub(r"\1***", record.msg)
        return True


logging.getLogger("urllib3.connectionpool").addFilter(_RedactApiKeyPaths())


# --- the client ---------------------------------------------------------------------------------


class NovaPoshtaClient:
    """POST the API 2.0 envelope and turn every failure into a CarrierError (§1)."""

    def __init__(
        self,
        api_key: str,
        base_url: str = API_URL,
        timeout: tuple[float, float] = (5, 30),
        min_interval: float = 0.2,
        *,
        print_url: str = PRINT_URL,
        throttle: Throttle | None = None,
    ):
        self._api_key = api_key
        self.base_url = base_url
        self.print_url = print_url
        self.timeout = timeout
        self.min_interval = min_interval
        self.throttle = throttle or PROCESS_THROTTLE
        self.session = requests.Session()
        # Never retry at the HTTP layer: a retried `save` is a duplicate waybill (§6).
        self.session.mount("http://", HTTPAdapter(max_retries=0))
        self.session.mount("https://", HTTPAdapter(max_retries=0))

    def __repr__(self) -> str:
        return f"NovaPoshtaClient(base_url={self.base_url!r})"  # never the key

    def call(self, model: str, method: str, properties: dict | None = None) -> list:
        """Call `model.method` and return its `data` list; raise CarrierError on any failure."""
        what = f"{model}.{method}"
        envelope = {
            "apiKey": self._api_key,
            "modelName": model,
            "calledMethod": method,
            "methodProperties": properties or {},
        }
        self.throttle.wait(self.min_interval)
        started = time.monotonic()
        try:
            response = self.session.post(self.base_url, json=envelope, timeout=self.timeout)
        except requests.Timeout:
            raise CarrierError(f"Nova Poshta did not answer {what} in time", transient=True, codes=("timeout",))
        except requests.RequestException as exc:
            raise CarrierError(
                f"Could not reach Nova Poshta for {what}: {exc.__class__.__name__}",
                transient=True,
                codes=("unreachable",),
            )
        logger.info("Nova Poshta %s: HTTP %s in %.2f s", what, response.status_code, time.monotonic() - started)
        self._raise_for_http_status(response, what)
        try:
            answer = response.json()
        except ValueError:
            raise CarrierError(
                f"Nova Poshta answered {what} with something that is not JSON", transient=True, codes=("not_json",)
            )
        # §6: an unauthenticated answer sometimes comes wrapped in an extra list.
        if isinstance(answer, list) and len(answer) == 1 and isinstance(answer[0], dict):
            answer = answer[0]
        if not isinstance(answer, dict):
            raise CarrierError(
                f"Nova Poshta answered {what} with an unexpected shape", transient=True, codes=("bad_shape",)
            )
        if answer.get("success") is not True:
            raise self._refusal(answer, what)
        data = answer.get("data")
        if data is None:
            return []
        return data if isinstance(data, list) else [data]

    def fetch_pdf(self, url: str, what: str) -> bytes:
        """GET a PDF; `url` may carry the key, so it never reaches a message or a log line."""
        self.throttle.wait(self.min_interval)
        try:
            response = self.session.get(url, timeout=self.timeout)
        except requests.Timeout:
            raise CarrierError(f"Nova Poshta did not send {what} in time", transient=True, codes=("timeout",)) from None
        except requests.RequestException as exc:
            # requests' own message quotes the URL, so neither it nor the cause is kept.
            raise CarrierError(
                f"Could not reach Nova Poshta for {what}: {exc.__class__.__name__}",
                transient=True,
                codes=("unreachable",),
            ) from None
        self._raise_for_http_status(response, what)
        body = response.content
        if not body.startswith(b"%PDF"):
            # A login page or an error page instead of the file: try again later, then alert.
            raise CarrierError(f"Nova Poshta sent {what} that is not a PDF", transient=True, codes=("not_pdf",))
        return body

    def _raise_for_http_status(self, response: requests.Response, what: str) -> None:
        status = response.status_code
        if status == 401:
            raise CarrierError(f"Nova Poshta refused the API key ({what})", transient=False, codes=(AUTH_FAIL_CODE,))
        if status in TRANSIENT_HTTP_STATUS or status >= 500:
            raise CarrierError(
                f"Nova Poshta answered {what} with HTTP {status}", transient=True, codes=(f"http_{status}",)
            )
        if status >= 400:
            raise CarrierError(
                f"Nova Poshta refused {what} with HTTP {status}", transient=False, codes=(f"http_{status}",)
            )

    def _refusal(self, answer: dict, what: str) -> CarrierError:
        """Classify `success: false` (§1.3): service trouble and rate limits are transient."""
        codes = _codes(answer.get("errorCodes"))
        text = _join_errors(answer.get("errors")) or f"no error text (codes {', '.join(codes) or 'none'})"
        transient = bool(TRANSIENT_CODES.intersection(codes)) or bool(RATE_LIMIT_TEXT.search(text))
        message = f"Nova Poshta refused {what}: {text}"
        if self._api_key:
            message = message.replace(self._api_key, "***")
        logger.warning("Nova Poshta refused %s: codes %s, transient %s", what, ",".join(codes) or "-", transient)
        return CarrierError(message, transient=transient, codes=codes)
