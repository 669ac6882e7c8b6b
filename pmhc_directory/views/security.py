"""Security headers on every answer (the CSP allows no inline script and nothing off-site),
and a refusal of NUL characters in any parameter before a view sees it.

* ``Referrer-Policy: no-referrer``: the officer lookup is a GET form, so the results page's
  address holds the typed place and the person's facts; with any other policy the browser
  sends that address with every style, script, icon and listing request it makes from there.
* ``Cache-Control: no-store`` on every answer but static files (and answers that set their
  own): looked-up places, the inventory, outcomes and CSV downloads stay out of browser and
  proxy caches.
* ``Strict-Transport-Security`` when the request came over HTTPS (``HSTS_SECONDS``; behind a
  proxy, ``PROXY_COUNT`` makes ``X-Forwarded-Proto`` count).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Flask, Response, abort, current_app, request
from flask.json.provider import DefaultJSONProvider

from .errors import API_PREFIXES, json_error

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# Deepest nesting of arrays and objects accepted in a JSON body.
MAX_JSON_DEPTH = 32

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def _add_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "no-referrer")
    if not _is_static_file():
        headers.setdefault("Cache-Control", "no-store")
    hsts = int(current_app.config.get("HSTS_SECONDS") or 0)
    if hsts > 0 and request.is_secure:
        headers.setdefault("Strict-Transport-Security", f"max-age={hsts}")
    headers.setdefault("Permissions-Policy", "geolocation=(self), camera=(), microphone=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    return response


def _is_static_file() -> bool:
    """The app's own static files (CSS, JS, icons, map assets): cacheable, nothing private."""
    endpoint = request.endpoint or ""
    return endpoint == "static" or endpoint.endswith(".static")


def _nul_field(value: Any, name: str | None) -> str | None:
    """The name of the first field whose name or text holds a NUL character, else None."""
    if isinstance(value, str):
        return name or "body" if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _nul_field(str(key), str(key)) or _nul_field(item, str(key))
            if found:
                return found
    if isinstance(value, list):
        for item in value:
            found = _nul_field(item, name)
            if found:
                return found
    return None


def _refuse_nul_characters() -> Any:
    """400 for a NUL character in a query, form or JSON value: no text field has a use for one,
    and PostgreSQL cannot store or compare it (the driver would fail the request)."""
    sources: list[Any] = [request.args.to_dict(flat=False)]
    if request.mimetype in FORM_TYPES:
        sources.append(request.form.to_dict(flat=False))
    elif request.is_json:
        sources.append(request.get_json(silent=True))
    field = next((f for f in (_nul_field(s, None) for s in sources) if f), None)
    if field is None:
        return None
    message = f"The value of {field!r} contains a NUL character."
    if request.path.startswith(API_PREFIXES):
        return json_error(400, "bad-request", message, field)
    abort(400, description=message)


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider, refusing documents nested deeper than :data:`MAX_JSON_DEPTH`.

    Python's parser recurses once per level and fails with ``RecursionError`` (not a
    ``ValueError``) near 1,000 levels, which no request handler expects; no request of this app
    needs more than a few levels. Too deep is a ``ValueError`` here, so ``request.get_json``
    answers 400 (or ``None`` when silent) like any other malformed body.
    """

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            value = super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels") from None
        if json_depth(value) > MAX_JSON_DEPTH:
            raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
        return value


def json_depth(value: Any) -> int:
    """Levels of arrays and objects in a parsed JSON value (a scalar is 0), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in children)
    return deepest


def mailto_href(address: str | None) -> str | None:
    """A ``mailto:`` link for one valid e-mail address, percent-encoded (RFC 6068), else None.

    Listings come from imports and editors; an "address" such as
    ``help@example.org?cc=x%40evil.example&subject=...`` would otherwise put a cc, subject and
    body into the officer's mail. Anything that is not one address gets no link (the template
    shows the text only), and ``?``, ``&``, ``%`` and the like in a valid address are encoded.
    """
    from ..validators import email_address

    try:
        clean = email_address(address or "")
    except ValueError:
        return None
    return "mailto:" + quote(clean, safe="@")


def init_app(app: Flask) -> None:
    app.add_template_filter(mailto_href, "mailto_href")
    app.json = BoundedJSONProvider(app)
    app.before_request(_refuse_nul_characters)
    app.after_request(_add_headers)
