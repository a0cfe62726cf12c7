"""One error body for every error: ``{"error": {"type", "message", "field"}}``.

The service's own errors and the library's exception tree map to status codes here::

    ServiceError
     ├── NotFound          404  no such article, story or job
     ├── Conflict          409  an id already names a different article
     ├── PayloadTooLarge   413  body, article count or article length over the limits
     ├── Unauthorized      401  missing or wrong API key
     ├── Busy              503  the work queue is full (with ``Retry-After``)
     ├── NotReady          503  the database or the models are not ready
     └── RequestTimeout    504  the request ran past ``request_timeout_s``

    summarizer.errors.EmptyTextError  422  empty_text
    summarizer.errors.InputError      422  invalid_input
    summarizer.errors.ModelError      503  model_unavailable
    summarizer.errors.ConfigError     500  config_error
    request validation                422  validation_error (``field`` is the JSON path)
    a body that is not UTF-8          400  bad_request
    JSON nested too deeply, a number
    of thousands of digits            400  bad_request
    anything else                     500  internal_error (logged; no stack trace in the body)
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import (
    DatabaseError,
    DataError,
    IntegrityError,
    NotSupportedError,
    ProgrammingError,
)
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from service.head import HEAD_KEY
from service.store import DatabaseGone, damaged, database_fault
from summarizer.errors import ConfigError, EmptyTextError, InputError, ModelError

log = logging.getLogger(__name__)


class ErrorDetail(BaseModel):
    type: str
    message: str
    field: str | None = None


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: ErrorDetail


class ServiceError(Exception):
    """An error the service answers with its own status and type."""

    status = 500
    type = "internal_error"

    def __init__(
        self, message: str, field: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.headers = headers or {}


class NotFound(ServiceError):
    status = 404
    type = "not_found"


class Conflict(ServiceError):
    status = 409
    type = "conflict"


class PayloadTooLarge(ServiceError):
    status = 413
    type = "payload_too_large"


class Unauthorized(ServiceError):
    status = 401
    type = "unauthorized"


class Busy(ServiceError):
    status = 503
    type = "busy"


class NotReady(ServiceError):
    status = 503
    type = "not_ready"


class InvalidQuery(ServiceError):
    status = 422
    type = "validation_error"


class RequestTimeout(ServiceError):
    status = 504
    type = "timeout"


_HTTP_TYPES = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
}


def error_response(
    status: int,
    type_: str,
    message: str,
    field: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = ErrorBody(error=ErrorDetail(type=type_, message=message, field=field))
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def _loc_to_field(loc: tuple[Any, ...] | list[Any]) -> str | None:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return ".".join(parts) or None


def json_position(doc: str, pos: int) -> str:
    """Where ``pos`` (a character offset) falls in ``doc``: "line L, column C", both
    counted from 1 in characters, as Python's JSON parser counts them."""
    line = doc.count("\n", 0, pos) + 1
    column = pos - doc.rfind("\n", 0, pos)
    return f"line {line}, column {column}"


def validation_message(err: dict[str, Any], body: Any = None) -> tuple[str, str | None]:
    """A readable message and a field path from one pydantic error; ``body``, the text of
    a body that is not JSON, places a JSON syntax error in it (line and column)."""
    loc = err.get("loc", ())
    field = _loc_to_field(loc)
    kind = err.get("type", "")
    msg = str(err.get("msg", "invalid value"))
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if kind == "extra_forbidden" and field:
        name = field.rsplit(".", 1)[-1]
        msg = f"unknown field {name!r}"
    elif kind == "json_invalid":
        ctx = err.get("ctx") or {}
        msg = f"malformed JSON: {ctx.get('error', msg)}"
        # FastAPI puts the parser's character offset after "body" in the location
        pos = loc[1] if len(loc) > 1 else None
        if isinstance(body, str) and isinstance(pos, int) and 0 <= pos <= len(body):
            msg += f" ({json_position(body, pos)})"
        field = None
    elif kind == "missing" and field:
        msg = f"{field.rsplit('.', 1)[-1]} is required"
    return msg, field


def _unauthorized(request: Request) -> JSONResponse | None:
    """The 401 a /v1 request without a valid key gets, where a body that fails to parse or
    validate would otherwise be answered first (the key is checked after the body)."""
    from service.deps import require_api_key

    settings = getattr(request.app.state, "settings", None)
    if settings is None or not settings.api_keys or not request.url.path.startswith("/v1/"):
        return None
    try:
        require_api_key(request, settings)
    except ServiceError as exc:
        return _service_handler(request, exc)
    return None


def _validation_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    denied = _unauthorized(request)
    if denied is not None:
        return denied
    errors = list(exc.errors())
    if not errors:
        return error_response(422, "validation_error", "invalid request")
    message, field = validation_message(errors[0], exc.body)
    first = errors[0]
    if tuple(first.get("loc", ())) == ("body",):  # the body as a whole, not one field
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if first.get("type") == "missing":
            message = "the request has no body; send a JSON object"
        elif kind != "application/json" and not kind.endswith("+json"):
            shown = kind or "none"
            message = (
                f"the body is not JSON (Content-Type: {shown}); send a JSON object with "
                "Content-Type: application/json"
            )
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return error_response(422, "validation_error", message, field)


def _service_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    return error_response(exc.status, exc.type, exc.message, exc.field, exc.headers)


def _input_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InputError)
    kind = "empty_text" if isinstance(exc, EmptyTextError) else "invalid_input"
    return error_response(422, kind, exc.message, exc.field)


def _model_handler(request: Request, exc: Exception) -> JSONResponse:
    log.error("model error on %s %s: %s", request.method, request.url.path, exc)
    return error_response(503, "model_unavailable", str(exc), headers={"Retry-After": "30"})


def _config_handler(request: Request, exc: Exception) -> JSONResponse:
    log.error("configuration error: %s", exc)
    return error_response(500, "config_error", str(exc))


def shown(value: str, limit: int = 80) -> str:
    """A client's value (an id, a path) quoted for a message, cut to ``limit`` characters."""
    return repr(value if len(value) <= limit else value[: limit - 1] + "…")


_METHODS = ("DELETE", "GET", "PATCH", "POST", "PUT")


def _allowed_methods(request: Request) -> list[str]:
    """The methods that some route of the app answers at the request's path (each asked
    of the router as the request would be, included routers too); HEAD wherever GET is."""
    routes = request.app.router.routes
    allowed = [
        method
        for method in _METHODS
        if any(r.matches({**request.scope, "method": method})[0] == Match.FULL for r in routes)
    ]
    if "GET" in allowed:
        allowed.insert(allowed.index("GET") + 1, "HEAD")
    return allowed


# FastAPI's answer to a body its JSON parser raised on other than with a syntax error
_UNPARSED = "There was an error parsing the body"


def _unparsed_message(cause: BaseException | None) -> str:
    """What stopped the JSON parser, in words: nesting deeper than Python's recursion
    limit, or an integer longer than Python converts (``sys.get_int_max_str_digits``)."""
    if isinstance(cause, RecursionError):
        return "malformed JSON: nested too deeply to parse"
    if isinstance(cause, ValueError) and "integer string conversion" in str(cause):
        return (
            f"malformed JSON: a number of more than {sys.get_int_max_str_digits():,} digits, "
            "too long to parse (no field takes a number that long)"
        )
    if cause is not None:
        return f"the body could not be parsed as JSON: {cause}"
    return "the body could not be parsed as JSON"


def _http_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if isinstance(exc.detail, str) else "request failed"
    headers = dict(exc.headers) if exc.headers else None
    kind = _HTTP_TYPES.get(exc.status_code, "http_error")
    method = "HEAD" if request.scope.get(HEAD_KEY) else request.method
    if exc.status_code == 405:
        # every method of the path, not only the first route's (GET and DELETE are two)
        allowed = _allowed_methods(request)
        if allowed:
            headers = {**(headers or {}), "Allow": ", ".join(allowed)}
            message = f"{method} is not allowed here; allowed: {', '.join(allowed)}"
    elif exc.status_code == 400 and message == _UNPARSED:
        message = _unparsed_message(exc.__cause__)
    elif exc.status_code == 404 and message == "Not Found":
        message = f"no such endpoint: {method} {shown(request.url.path)}"
    return error_response(exc.status_code, kind, message, headers=headers)


def _database_handler(request: Request, exc: Exception) -> JSONResponse:
    """The database failed (locked, disk full, gone, damaged): nothing was stored by the
    request, so 503, not the 500 of a bug. A constraint, statement or value the database
    refused is a bug, and stays a 500."""
    if isinstance(exc, IntegrityError | ProgrammingError | DataError | NotSupportedError):
        return _unexpected_handler(request, exc)  # what we sent was wrong: a bug of ours
    log.error("database error on %s %s: %s", request.method, request.url.path, exc)
    reason = database_fault(exc)
    if damaged(exc):
        message = (
            f"the database is damaged ({reason}); nothing was changed. The operator must "
            "restore it from a backup"
        )
    else:
        message = f"the database is unavailable ({reason}); nothing was changed, retry later"
    return error_response(503, "not_ready", message, headers={"Retry-After": "10"})


def _unexpected_handler(request: Request, exc: Exception) -> JSONResponse:
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", "internal error; the server log has details")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(ServiceError, _service_handler)
    app.add_exception_handler(InputError, _input_handler)
    app.add_exception_handler(ModelError, _model_handler)
    app.add_exception_handler(ConfigError, _config_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    app.add_exception_handler(DatabaseError, _database_handler)
    app.add_exception_handler(DatabaseGone, _database_handler)
    app.add_exception_handler(Exception, _unexpected_handler)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: the error body under each status it can answer."""
    described = {
        400: "Body is not valid UTF-8 or not JSON",
        401: "Missing or wrong API key",
        404: "Not found",
        409: "Conflict with a stored article",
        413: "Body, article count or article length over the limits",
        422: "Invalid input",
        503: "Busy (queue full, see Retry-After) or not ready",
        504: "Ran past the request time limit",
    }
    return {s: {"model": ErrorBody, "description": described.get(s, "Error")} for s in statuses}
