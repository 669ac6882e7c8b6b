"""Recognising what an officer typed: a ZIP code, coordinates, an address or a place name.

All functions are pure and never raise on odd input (``None`` or an empty key instead).
Normalised forms are *look-up keys*: both the stored gazetteer entry and the typed text go
through the same function, so "123 North Main Street, Apt. 4" and "123 n main st #4" meet.
"""

from __future__ import annotations

import math
import re
import unicodedata

# USPS Publication 28, appendix C1 (street suffixes) - the common ones and their usual
# misspellings. Only full or variant forms are listed: an official abbreviation maps to itself.
STREET_SUFFIXES: dict[str, str] = {
    "ALLEY": "ALY",
    "ALLY": "ALY",
    "AVENUE": "AVE",
    "AVEN": "AVE",
    "AVENU": "AVE",
    "AVN": "AVE",
    "AVNUE": "AVE",
    "AV": "AVE",
    "BOULEVARD": "BLVD",
    "BOUL": "BLVD",
    "BOULV": "BLVD",
    "CIRCLE": "CIR",
    "CIRC": "CIR",
    "CIRCL": "CIR",
    "COURT": "CT",
    "CRT": "CT",
    "COVE": "CV",
    "CROSSING": "XING",
    "CRSSNG": "XING",
    "DRIVE": "DR",
    "DRIV": "DR",
    "DRV": "DR",
    "EXPRESSWAY": "EXPY",
    "EXPRESS": "EXPY",
    "FREEWAY": "FWY",
    "FREEWY": "FWY",
    "HIGHWAY": "HWY",
    "HIGHWY": "HWY",
    "HIWAY": "HWY",
    "HIWY": "HWY",
    "LANE": "LN",
    "PARKWAY": "PKWY",
    "PARKWY": "PKWY",
    "PKWAY": "PKWY",
    "PLACE": "PL",
    "PLAZA": "PLZ",
    "PLZA": "PLZ",
    "POINT": "PT",
    "ROAD": "RD",
    "ROUTE": "RTE",
    "SQUARE": "SQ",
    "SQR": "SQ",
    "STREET": "ST",
    "STRT": "ST",
    "STR": "ST",
    "TERRACE": "TER",
    "TERR": "TER",
    "TRAIL": "TRL",
    "TRAILS": "TRLS",
    "TURNPIKE": "TPKE",
}

# USPS Publication 28, appendix B (directionals).
DIRECTIONALS: dict[str, str] = {
    "NORTH": "N",
    "SOUTH": "S",
    "EAST": "E",
    "WEST": "W",
    "NORTHEAST": "NE",
    "NORTHWEST": "NW",
    "SOUTHEAST": "SE",
    "SOUTHWEST": "SW",
}

# USPS Publication 28, appendix C2 (secondary unit designators), plus "#" spellings.
UNIT_DESIGNATORS: dict[str, str] = {
    "APARTMENT": "APT",
    "BUILDING": "BLDG",
    "BLD": "BLDG",
    "DEPARTMENT": "DEPT",
    "FLOOR": "FL",
    "FLR": "FL",
    "ROOM": "RM",
    "SUITE": "STE",
    "NUMBER": "#",
    "NO": "#",
}

_ABBREVIATIONS = {**STREET_SUFFIXES, **DIRECTIONALS, **UNIT_DESIGNATORS}

_ZIP_RE = re.compile(r"^\s*(\d{5})(?:-\d{4})?\s*$")
_TRAILING_ZIP_RE = re.compile(r"(?:^|[\s,])(\d{5})(?:-\d{4})?[\s,.]*(?:USA?)?[\s.]*$", re.I)
_NUMBER = r"[+-]?(?:\d{1,3}(?:\.\d+)?|\.\d+)"
_COORDS_RE = re.compile(rf"^\s*\(?\s*({_NUMBER})\s*(,|\s)\s*({_NUMBER})\s*\)?\s*$")


def _fold(text: str) -> str:
    """Unicode-compatible, accent-free, case-folded text ("Peñasco" -> "penasco")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def place_key(name: str) -> str:
    """Look-up form of a place name: case and accents folded, punctuation dropped, spaces
    collapsed. ``places.name_key`` is stored in this form (services.geography)."""
    if not isinstance(name, str):
        return ""
    return " ".join(re.sub(r"[^\w\s]", " ", _fold(name)).split())


def normalize_address(text: str) -> str:
    """Upper-case USPS-style look-up key for a street address.

    Case and accents are folded; periods vanish ("N.E." -> "NE", "St." -> "ST"); other
    punctuation becomes a space, except "#" (kept as a unit sign) and a hyphen between digits
    (house numbers such as "12-34"); street suffixes, directionals and unit designators are
    abbreviated ("Street" -> "ST", "Northwest" -> "NW", "Suite" -> "STE", "No." -> "#").
    Returns "" for empty or non-text input.
    """
    if not isinstance(text, str):
        return ""
    folded = _fold(text).upper().replace(".", "")
    folded = re.sub(r"(?<!\d)-|-(?!\d)", " ", folded)  # keep "12-34" house numbers only
    folded = folded.replace("#", " # ")
    folded = re.sub(r"[^\w\s#-]|_", " ", folded)
    words = [_ABBREVIATIONS.get(word, word) for word in folded.split()]
    return " ".join(words)


def looks_like_zip(text: str) -> str | None:
    """The 5-digit ZIP when ``text`` is just a ZIP ("87102") or ZIP+4 ("87102-1234")."""
    if not isinstance(text, str):
        return None
    match = _ZIP_RE.match(text)
    return match.group(1) if match else None


def trailing_zip(text: str) -> str | None:
    """The 5-digit ZIP that ends an address ("... Albuquerque, NM 87102-1234, USA")."""
    if not isinstance(text, str):
        return None
    match = _TRAILING_ZIP_RE.search(text)
    return match.group(1) if match else None


def parse_coordinates(text: str) -> tuple[float, float] | None:
    """``(lat, lon)`` from decimal degrees typed as "35.08, -106.65" (latitude first).

    Also accepted: a space instead of the comma ("35.08 -106.65") when both numbers have
    decimals, and surrounding parentheses. ``None`` for anything else, including values out
    of range (latitude -90..90, longitude -180..180) - so "-106.65, 35.08" (longitude first)
    is refused rather than guessed.
    """
    if not isinstance(text, str):
        return None
    match = _COORDS_RE.match(text)
    if not match:
        return None
    lat_text, separator, lon_text = match.groups()
    if separator != "," and not ("." in lat_text and "." in lon_text):
        return None  # "12 34" is more likely a house number than a position
    lat, lon = float(lat_text), float(lon_text)
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return None
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        return None
    return lat, lon
