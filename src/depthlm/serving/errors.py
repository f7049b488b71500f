"""One error shape for every route, OpenAI's: ``{"error": {"message", "type", "param",
"code"}}``, so the OpenAI client and the web page read our errors like theirs."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from depthlm.inference.base import BackendError

_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    404: "not_found_error",
    405: "invalid_request_error",
    413: "request_too_large",
    415: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
    502: "backend_error",
    503: "service_unavailable",
    504: "timeout",
}


class ServeError(Exception):
    """A request the server refuses: status, message for the person, the field at fault."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.code = code
        self.headers = headers


def error_body(
    status: int, message: str, param: str | None = None, code: str | None = None
) -> dict[str, Any]:
    kind = _TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def error_response(
    status: int,
    message: str,
    param: str | None = None,
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(error_body(status, message, param, code), status, headers=headers)


async def _serve_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServeError)
    return error_response(exc.status, exc.message, exc.param, exc.code, exc.headers)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    """Pydantic's list of problems as one sentence naming the first field (``points.3.0``)."""
    assert isinstance(exc, RequestValidationError)
    problems = exc.errors()
    first = problems[0] if problems else {}
    loc = [str(p) for p in first.get("loc", ()) if p != "body"]
    param = ".".join(loc) or None
    msg = str(first.get("msg", "invalid request"))
    if first.get("type") == "json_invalid":
        msg = f"the body is not valid JSON ({first.get('ctx', {}).get('error', msg)})"
        param = None
    where = f"{param}: " if param else ""
    more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
    return error_response(400, f"{where}{msg}{more}", param)


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return error_response(exc.status_code, str(exc.detail), headers=exc.headers)


async def _backend_error(_: Request, exc: Exception) -> JSONResponse:
    # The model behind us (an upstream API) refused or failed: a gateway error, with its reason.
    return error_response(502, f"the model backend failed: {exc}", code="backend_error")


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    # The traceback goes to the log (uvicorn's), the person gets one line and the server stays up.
    return error_response(500, f"internal error: {type(exc).__name__}")


HANDLERS = {
    ServeError: _serve_error,
    BackendError: _backend_error,
    RequestValidationError: _validation_error,
    StarletteHTTPException: _http_error,
    Exception: _unexpected,
}
