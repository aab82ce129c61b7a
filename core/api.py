"""API plumbing shared by every app: the exception handler, the error shape, header docs and ETags."""

import math

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.http import parse_etags
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.exceptions import DomainError
from core.idempotency import HEADER as IDEMPOTENCY_HEADER
from core.idempotency import MAX_KEY_LENGTH
from core.ratelimit import wait_message


def exception_handler(exc, context):
    """Answer every error as {"detail": <sentence>, "code": <machine code>} (+ "errors")."""
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.status_code)
    if isinstance(exc, Http404):
        return Response({"detail": _("Not found."), "code": "not_found"}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.ValidationError):
        response = drf_exception_handler(exc, context)
        errors = response.data
        response.data = {"detail": _first_message(errors), "code": "invalid", "errors": errors}
        return response
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" in response.data:
        detail = response.data["detail"]
        code = getattr(detail, "code", None) or exc.default_code
        response.data = {"detail": _own_message(exc) or str(detail), "code": code}
    return response


def _own_message(exc) -> str | None:
    """Our sentence where DRF's own is not translated (it builds these from English parts)."""
    if isinstance(exc, exceptions.Throttled):
        return wait_message(max(1, math.ceil(exc.wait))) if exc.wait is not None else _("Too many requests.")
    if isinstance(exc, exceptions.ParseError) and str(exc.detail).startswith("JSON parse error"):
        return _("The request body is not valid JSON.")
    return None


def _first_message(errors) -> str:
    """Turn DRF's nested field errors into one sentence a person can read."""
    if isinstance(errors, dict):
        for field, value in errors.items():
            message = _first_message(value)
            return message if field == "non_field_errors" else f"{field}: {message}"
    if isinstance(errors, list) and errors:
        return _first_message(errors[0])
    return str(errors) or _("Invalid input.")


# --- the error shape --------------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    """What every API error looks like (core.api.exception_handler); documentation only.

    `detail` is a sentence for a person, in the language of the request's `Accept-Language`
    (Ukrainian when the header is absent, `*` or names no supported language); `code` is the
    machine-readable reason and is the same in every language: program against `code`, show
    `detail`. It lives in core, below every app with an API, so each can import it.
    """

    detail = serializers.CharField(
        help_text="One sentence a person can read, in the language of Accept-Language (Ukrainian by default)."
    )
    code = serializers.CharField(
        help_text="A stable machine code, the same in every language, e.g. out_of_stock or stale_version."
    )
    errors = serializers.DictField(required=False, help_text="Per-field messages, present on validation errors (400).")

    class Meta:
        ref_name = "Error"


def error_response(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=ErrorSerializer, description=description)


# --- documentation of the headers ------------------------------------------------------------

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    name=IDEMPOTENCY_HEADER,
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        f"A unique value (1 to {MAX_KEY_LENGTH} characters, e.g. a UUID) that makes a retry safe. "
        "The same key with the same body within 24 hours replays the first response (with the header "
        "`Idempotent-Replayed: true`); the same key with another body is refused with 422 "
        "(idempotency_key_reused); a retry while the first request still runs gets 409 "
        "(idempotency_key_in_use). Keys are per user."
    ),
)
IF_MATCH_PARAMETER = OpenApiParameter(
    name="If-Match",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        'The ETag you last saw (e.g. `"3"`). If the order changed since, nothing is done and the answer '
        "is 412 stale_version: reload it and decide again."
    ),
)
IF_NONE_MATCH_PARAMETER = OpenApiParameter(
    name="If-None-Match",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description="The ETag you hold; 304 Not Modified (no body) while the order is unchanged.",
)
ETAG_RESPONSE_HEADER = OpenApiParameter(
    name="ETag",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    response=[200, 201, 304],
    description='The order\'s version as an ETag, e.g. `"3"`; send it back in If-Match.',
)
LOCATION_RESPONSE_HEADER = OpenApiParameter(
    name="Location",
    type=OpenApiTypes.URI,
    location=OpenApiParameter.HEADER,
    response=[200, 201],
    description="The order's URL in this API.",
)


def replayed_response_header(*codes: int) -> OpenApiParameter:
    """The Idempotent-Replayed header, on the answers a key can store (not 401 or 5xx)."""
    return OpenApiParameter(
        name="Idempotent-Replayed",
        type=OpenApiTypes.STR,
        location=OpenApiParameter.HEADER,
        response=list(codes),
        description="`true` when this is the stored answer to an earlier request with the same Idempotency-Key.",
    )


# --- ETags -----------------------------------------------------------------------------------


# --- ETags -----------------------------------------------------------------------------------


def etag_versions(header: str) -> set[str] | None:
    """The versions named by an If-Match / If-None-Match header; None for `*` (any version).

    W/"3" counts as "3": the version means the same whatever a proxy did to the bytes, and a
    gzipping proxy (nginx) turns strong ETags weak. A bare 3 is accepted for lenient clients.
    """
    etags = parse_etags(header) or [header.strip()]
    if "*" in etags:
        return None
    return {etag.removeprefix("W/").strip('"') for etag in etags}


# --- languages -------------------------------------------------------------------------------

LANGUAGE_NOTE = (
    "`detail` is a sentence for a person, in the language of the request's `Accept-Language` "
    "(Ukrainian when the header is absent, `*` or names no supported language); `code` is the "
    "machine-readable reason and is the same in every language: program against `code`, show `detail`."
)


def document_languages(result, generator, request, public):
    """drf-spectacular postprocessing hook: every operation takes Accept-Language and every
    answer says its Content-Language (core.middleware.KramarLocaleMiddleware picks it)."""
    languages = [code for code, _name in settings.LANGUAGES]
    components = result.setdefault("components", {})
    components.setdefault("parameters", {})["AcceptLanguage"] = {
        "name": "Accept-Language",
        "in": "header",
        "required": False,
        "schema": {"type": "string", "default": settings.LANGUAGE_CODE, "example": "en"},
        "description": (
            f"The language of human-readable texts (`detail` of errors): {', '.join(f'`{c}`' for c in languages)}; "
            f"weights and regions are understood (`en-GB,en;q=0.9` is English). Without it, or with `*` or only "
            f"unsupported languages, the answer is in `{settings.LANGUAGE_CODE}` (Ukrainian). " + LANGUAGE_NOTE
        ),
    }
    components.setdefault("headers", {})["ContentLanguage"] = {
        "schema": {"type": "string", "enum": languages},
        "description": "The language of this answer's texts (`uk` or `en`); answers vary by Accept-Language.",
    }
    parameter = {"$ref": "#/components/parameters/AcceptLanguage"}
    header = {"$ref": "#/components/headers/ContentLanguage"}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            parameters = operation.setdefault("parameters", [])
            if parameter not in parameters:
                parameters.append(parameter)
            for response in operation["responses"].values():
                response.setdefault("headers", {}).setdefault("Content-Language", header)
    return result
