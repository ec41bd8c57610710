"""Headers every response carries, and the stricter ones pages and images need.

- every response: `X-Content-Type-Options: nosniff` (a browser never guesses a type, so an
  upload can never run as a script) and `Referrer-Policy: no-referrer` (image and API URLs
  carry ids that need not travel to other sites);
- HTML (the API docs): `frame-ancestors 'none'` and `X-Frame-Options: DENY`, so no other site
  can frame it to trick a click;
- images: a Content-Security-Policy that forbids everything (`default-src 'none'; sandbox`),
  so an image opened on its own can run nothing even if a browser mistook it for a document;
- the JSON API: `Cache-Control: no-store`, since its answers belong to a signed-in user.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_ALWAYS = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]
_HTML = [
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"x-frame-options", b"DENY"),
]
_IMAGE = [(b"content-security-policy", b"default-src 'none'; style-src 'unsafe-inline'; sandbox")]
_PRIVATE = [(b"cache-control", b"no-store")]


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                extra = list(_ALWAYS)
                content_type = dict(headers).get(b"content-type", b"")
                if path.startswith("/images/"):
                    extra += _IMAGE
                elif content_type.startswith(b"text/html"):
                    extra += _HTML
                if path.startswith("/api/") and b"cache-control" not in names:
                    extra += _PRIVATE
                message["headers"] = headers + [h for h in extra if h[0] not in names]
            await send(message)

        await self.app(scope, receive, send_with_headers)
