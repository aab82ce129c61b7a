"""The one way adapters talk HTTP: timeouts always, and errors sorted into transient or not."""

import json
from collections.abc import Mapping

import requests

from payments.providers.base import ProviderError

TRANSIENT_STATUS = {408, 425, 429, 500, 502, 503, 504}


def post(url: str, *, timeout: float, json_body=None, form: Mapping | None = None) -> dict:
    """POST and return the decoded JSON answer; raise ProviderError on any failure."""
    try:
        response = requests.post(url, json=json_body, data=form, timeout=timeout)
    except requests.Timeout as exc:
        raise ProviderError(f"No answer from {url} within {timeout:g} s", transient=True, code="timeout") from exc
    except requests.RequestException as exc:
        raise ProviderError(
            f"Could not reach {url}: {exc.__class__.__name__}", transient=True, code="unreachable"
        ) from exc
    if response.status_code in TRANSIENT_STATUS:
        raise ProviderError(
            f"{url} answered HTTP {response.status_code}", transient=True, code=f"http_{response.status_code}"
        )
    if response.status_code >= 400:
        raise ProviderError(
            f"{url} refused the request: HTTP {response.status_code}",
            transient=False,
            code=f"http_{response.status_code}",
        )
    try:
        return response.json()
    except (ValueError, json.JSONDecodeError) as exc:
        raise ProviderError(
            f"{url} answered with something that is not JSON", transient=True, code="bad_response"
        ) from exc
