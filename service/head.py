"""HEAD on every GET route: the GET's status and headers, without its body.

FastAPI's routes answer only the methods they name, so ``curl -I`` and link checkers got a
405 for every GET route. This plain ASGI middleware runs a HEAD request as the GET and
sends the response start (status, Content-Length, Content-Type, ETag ...) with an empty
body. The original method stays visible to error messages as ``scope[HEAD_KEY]``.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEAD_KEY = "storybrief.head"


class HeadMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headless(msg: Message) -> None:
            if msg["type"] == "http.response.body":
                if msg.get("more_body", False):
                    return
                msg = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(msg)

        await self.app({**scope, "method": "GET", HEAD_KEY: True}, receive, headless)


__all__ = ["HEAD_KEY", "HeadMiddleware"]
