"""The size limit of uploads, enforced before and while the body is read.

An upload (all its files together) may be at most ``settings.max_upload_bytes``. The limit is
checked three times, each time with the same 413 answer:

1. ``Content-Length`` over the limit: refused before a single byte of the body is read;
2. a body that streams more than it announced (or announces nothing, chunked): refused as soon
   as the bytes received pass the limit, so a large body is never buffered or spooled;
3. the files' actual sizes after parsing (the route calls ``check_upload_size``).

Only the upload routes are wrapped (``UPLOAD_PATH``); every other request passes untouched.
``UploadTooLarge`` is an ``HTTPException``: FastAPI re-raises it wherever the body is read
(the CSRF check or the route), and the app's handler renders it as JSON (``detail`` in
Japanese, as the API says every refusal) or as a page in the page's language. Like
``domain.refusals.Refused`` it holds both texts (``text(locale)``), never one string carrying
both.
"""

from __future__ import annotations

import re

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kizashi.domain.refusals import Bilingual
from kizashi.ingest.messages import format_size

__all__ = ["UPLOAD_PATH", "UploadSizeLimit", "UploadTooLarge", "check_upload_size", "format_size"]

UPLOAD_PATH = re.compile(r"^/(?:api/v1/)?businesses/\d+/(?:submissions|upload(?:/confirm)?)$")
# Room for the multipart boundaries, headers and the small form fields around the files.
FORM_OVERHEAD = 64 * 1024


class UploadTooLarge(Bilingual, HTTPException):
    """413: the upload is over the limit; ``detail`` is the Japanese, ``english`` the English."""

    def __init__(self, limit: int) -> None:
        size = format_size(limit)
        ja = self._set(
            f"アップロードが大きすぎます。1 回に送れるのは合計 {size} までです。"
            "期間を分けて送ってください。",
            f"The upload is too large: at most {size} in total per upload. Split the file by "
            "period and send the parts separately.",
        )
        super().__init__(status_code=413, detail=ja)
        self.limit = limit


def check_upload_size(sizes: list[int], limit: int) -> None:
    """Step 3: the files' actual sizes, once parsed."""
    if sum(sizes) > limit:
        raise UploadTooLarge(limit)


class UploadSizeLimit:
    """ASGI middleware for steps 1 and 2 on the upload routes."""

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or not UPLOAD_PATH.match(scope["path"])
        ):
            await self.app(scope, receive, send)
            return
        allowed = self.limit + FORM_OVERHEAD
        declared = None
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = None
        received = 0

        async def limited() -> Message:
            nonlocal received
            if declared is not None and declared > allowed:
                raise UploadTooLarge(self.limit)  # before reading anything
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > allowed:
                    raise UploadTooLarge(self.limit)
            return message

        await self.app(scope, limited, send)
