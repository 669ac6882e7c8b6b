"""Field checks shared by the coordinators' editor (``services.editing``) and every importer
(``hsds.deserialize``, ``hsds.legacy211``, ``hsds.samhsa``), so a value the editor refuses is
never stored by an import, and the other way round.

Each check takes the text as given and returns the value to store, or raises ``ValueError``
whose message names the value and what is wanted (the editor shows its own, friendlier
sentence). ``TEXT_LIMITS`` holds the editor's longest accepted text per (table, column), in
characters; the importer applies the same limits.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

__all__ = [
    "TEXT_LIMITS",
    "email_address",
    "phone_number",
    "text_limit",
    "time_of_day",
    "us_zip",
    "web_url",
]

#: The editor's text-length limits (characters), per table and column.
TEXT_LIMITS: dict[str, dict[str, int]] = {
    "services": {
        "name": 500,
        "alternate_name": 500,
        "description": 20000,
        "alert": 5000,
        "url": 2000,
        "email": 320,
        "interpretation_services": 5000,
        "eligibility_description": 5000,
    },
    "organizations": {
        "name": 500,
        "alternate_name": 500,
        "description": 20000,
        "email": 320,
        "website": 2000,
    },
    "locations": {
        "name": 500,
        "alternate_name": 500,
        "description": 20000,
        "transportation": 5000,
    },
    "addresses": {
        "address_1": 500,
        "address_2": 500,
        "city": 200,
        "state_province": 100,
        "postal_code": 20,
        "country": 2,
    },
    "phones": {"number": 100, "extension": 20},
}


def text_limit(table: str, column: str) -> int | None:
    """The editor's limit for ``table.column`` in characters, None when it sets none."""
    return TEXT_LIMITS.get(table, {}).get(column)


# An address with one @: a local part without spaces, commas, semicolons or angle brackets, and
# a domain of dot-separated labels of letters (any script), digits and hyphens with a dot in
# it. Nothing else in the domain: "help@example.org?cc=x%40evil.example" is refused (a mailto:
# link would carry the cc, subject or body along).
_EMAIL_LABEL = r"[^\W_](?:(?:[^\W_]|-)*[^\W_])?"
_EMAIL_RE = re.compile(rf"^[^@\s,;<>()\[\]\\\"]+@{_EMAIL_LABEL}(?:\.{_EMAIL_LABEL})+$")


def email_address(value: str) -> str:
    """One e-mail address such as ``intake@example.org`` (a leading ``mailto:`` is removed).

    ``a@b`` is refused: the domain needs a dot, as every address that reaches a mailbox has.
    """
    text = value.strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    if not _EMAIL_RE.match(text):
        raise ValueError(f"{value!r} is not one email address (such as intake@example.org)")
    return text


def web_url(value: str) -> str:
    """An absolute ``http`` or ``https`` address with a host, such as ``https://example.org/``.

    A bare word, a path written with backslashes or any other scheme is refused (the
    legacy reader adds ``http://`` to ``www.example.org`` before calling this).
    """
    text = value.strip()
    if "\\" in text or any(c.isspace() for c in text):
        raise ValueError(f"{value!r} is not a web address (such as https://example.org/)")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 (raises ValueError on a port that is not a number)
    except ValueError:
        raise ValueError(f"{value!r} is not a web address (such as https://example.org/)") from None
    host = parts.hostname or ""
    named = host == "localhost" or "." in host.strip(".")
    if parts.scheme.lower() not in ("http", "https") or not named:
        raise ValueError(f"{value!r} is not a web address (such as https://example.org/)")
    return text


def phone_number(value: str) -> str:
    """A phone number as written (``505-555-0100``, ``988``): it needs a digit and at most
    100 characters. Letters are allowed (``1-800-SUICIDE``)."""
    text = value.strip()
    if not any(c.isdigit() for c in text) or len(text) > 100:
        raise ValueError(f"{value!r} is not a phone number (such as 505-555-0100)")
    return text


_ZIP_RE = re.compile(r"^\d{5}(?:-\d{4})?$")


def us_zip(value: str) -> str:
    """A US ZIP code, ``12345`` or ``12345-6789`` exactly (readers of spreadsheet exports
    repair lost leading zeros before calling this)."""
    text = value.strip()
    if not _ZIP_RE.match(text):
        raise ValueError(f"{value!r} is not a US ZIP code (5 digits or ZIP+4)")
    return text


_TIME_RE = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d)?(?:Z|[+-](?:0\d|1[0-4]):[0-5]\d)?$")


def time_of_day(value: str) -> str:
    """A time of day as HSDS writes it: ``HH:MM`` (24-hour), optionally ``:SS`` and a UTC
    offset (``09:00``, ``17:30:00``, ``08:00-06:00``)."""
    if not _TIME_RE.match(value):
        raise ValueError(f"{value!r} is not a time HH:MM")
    return value
