"""Request limits: body size (413) and encoding (400), a time limit on every request (504), and the
per-request article limits (413).

Both middlewares are plain ASGI, so they see the raw byte stream and can answer before
the application has read anything.
"""

from __future__ import annotations

import asyncio
import codecs
import logging
from collections.abc import Sequence

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import ErrorBody, ErrorDetail, PayloadTooLarge
from service.schemas import ArticleIn
from summarizer.io import submitted_length

log = logging.getLogger(__name__)


async def _send_error(
    send: Send, status: int, type_: str, message: str, headers: Sequence[tuple[bytes, bytes]] = ()
) -> None:
    body = ErrorBody(error=ErrorDetail(type=type_, message=message)).model_dump_json().encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyCheckMiddleware:
    """Refuse bodies over ``max_bytes`` (by Content-Length, or while they stream in), and
    bodies that are not UTF-8 (JSON parsers would otherwise guess an encoding); a NUL byte,
    which UTF-8 JSON never holds, counts as not UTF-8."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        message = f"the request body is larger than the limit of {self.max_bytes} bytes"
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await _send_error(send, 400, "bad_request", "invalid Content-Length header")
                    return
                if declared > self.max_bytes:
                    await _send_error(send, 413, "payload_too_large", message)
                    return
        received = 0
        decoder = codecs.getincrementaldecoder("utf-8")()

        async def checked() -> Message:
            nonlocal received
            msg = await receive()
            if msg["type"] != "http.request":
                return msg
            chunk: bytes = msg.get("body", b"")
            pending = len(decoder.getstate()[0])
            try:
                decoder.decode(chunk, final=not msg.get("more_body", False))
            except UnicodeDecodeError as exc:
                at = received - pending + exc.start
                raise HTTPException(
                    400, f"the request body is not valid UTF-8 (byte {at})"
                ) from None
            nul = chunk.find(b"\x00")
            if nul >= 0:  # never in UTF-8 JSON; UTF-16 text is full of them
                raise HTTPException(
                    400, f"the request body is not valid UTF-8 (byte {received + nul} is NUL)"
                )
            received += len(chunk)
            if received > self.max_bytes:
                # An HTTPException passes through FastAPI's body reading unchanged.
                raise HTTPException(413, message)
            return msg

        await self.app(scope, checked, send)


class TimeoutMiddleware:
    """Answer 504 when a request runs past ``seconds`` (a backstop behind the lanes' own
    deadlines); a response already started is left to finish."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking(msg: Message) -> None:
            nonlocal started
            if msg["type"] == "http.response.start":
                started = True
            await send(msg)

        try:
            await asyncio.wait_for(self.app(scope, receive, tracking), self.seconds)
        except TimeoutError:
            log.warning(
                "%s %s ran past %.0f s", scope.get("method"), scope.get("path"), self.seconds
            )
            if not started:
                await _send_error(
                    send,
                    504,
                    "timeout",
                    f"the request ran past the {self.seconds:g} s time limit",
                )


def check_articles(
    articles: Sequence[ArticleIn],
    max_articles: int,
    max_chars: int,
    *,
    hint: str = "send larger sets to POST /v1/jobs",
) -> None:
    """Raise ``PayloadTooLarge`` past the per-request article count or article length;
    ``hint`` says where a larger set can go. An article's length is its text as submitted,
    before character references are decoded (``submitted_length``), as the CLI counts it."""
    if len(articles) > max_articles:
        raise PayloadTooLarge(
            f"{len(articles)} articles in one request; the limit is {max_articles}"
            + (f" ({hint})" if hint else ""),
            "articles",
        )
    for i, art in enumerate(articles):
        if (length := submitted_length(art.text)) > max_chars:
            raise PayloadTooLarge(
                f"article #{i} has {length} characters; the limit is {max_chars}",
                f"articles.{i}.text",
            )
