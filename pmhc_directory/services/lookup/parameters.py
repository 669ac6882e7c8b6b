"""The lookup's parameters: the one parser of a query string or JSON body into a checked
:class:`LookupRequest` (``LookupInputError`` names the field and says what to fix)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ... import moments
from ...errors import InputError
from ...matching.model import GENDERS, MAX_LIMIT
from ...matching.policy import default_policy
from ...taxonomy import NEED, PAYMENT, POPULATION, SERVICE_TYPE, Vocabulary, vocabulary

#: The lookup's parameters that may be given more than once (or comma-separated).
LIST_FIELDS = ("needs", "types", "population")
TRUE_WORDS = {"true", "1", "yes", "on", "y"}
FALSE_WORDS = {"false", "0", "no", "off", "n", ""}
LOCATION_SOURCES = ("zip", "address", "place", "coordinates", "geolocation", "map")
MAX_NEAR_LENGTH = 200
MAX_AGE = 130
MAX_MINUTES_CAP = 600
MAX_AT_DAYS = moments.MAX_AT_DAYS
#: An ``at`` this close to the present is still a question about now (a form filled in a
#: minute ago, a clock a little off).
AT_NOW_SLACK = timedelta(minutes=15)


class LookupInputError(InputError):
    """A bad lookup input; ``field`` names it and ``message`` says what to fix. A place that
    cannot be found (``code="not-found"``) is answered 422, every other bad input 400."""

    status = 400

    def __init__(
        self,
        field: str | None,
        message: str,
        code: str = "invalid",
        choices: Sequence[str] = (),
    ) -> None:
        super().__init__(field, message, code)
        if code == "not-found":
            self.status = 422
        # "Did you mean" texts for a place not found (each one a search that finds a place).
        self.choices = list(choices)


@dataclass(frozen=True)
class LookupRequest:
    """Validated lookup inputs (no geocoding done yet)."""

    at: datetime
    lat: float | None = None
    lon: float | None = None
    near: str | None = None
    location_source: str | None = None
    needs: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    age: int | None = None
    language: str | None = None
    payment: str | None = None
    populations: frozenset[str] = frozenset()
    gender: str | None = None
    transport: bool = False
    intoxicated: bool | None = None
    involuntary: bool = False
    max_minutes: float | None = None
    limit: int = 10
    # Demand "open now" (None: the default per continuum element, see docs/matching.md).
    require_open: bool | None = None
    # Whether the question is about now (no ``at`` given, or one within AT_NOW_SLACK of now):
    # only such lookups can record unmet need.
    at_now: bool = True


# --------------------------------------------------------------------------- input parsing


def _first(params: Mapping[str, Any], name: str) -> Any:
    value = params.get(name)
    if isinstance(value, list | tuple) and name not in LIST_FIELDS:
        value = value[0] if value else None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _codes(params: Mapping[str, Any], name: str, taxonomy: str, vocab: Vocabulary) -> tuple:
    raw = params.get(name)
    if raw is None or raw == "":
        return ()
    items: list[Any] = []
    for part in raw if isinstance(raw, list | tuple) else [raw]:
        if not isinstance(part, str):
            raise LookupInputError(name, f"{name} must be a comma-separated list of codes.")
        items.extend(p.strip() for p in part.split(","))
    codes = tuple(dict.fromkeys(c for c in items if c))
    unknown = [c for c in codes if vocab.find(taxonomy, c) is None]
    if unknown:
        known = ", ".join(vocab.codes(taxonomy))
        raise LookupInputError(
            name, f"Unknown {taxonomy} code {unknown[0]!r}. Known codes: {known}.", "unknown-code"
        )
    return codes


def _number(params: Mapping[str, Any], name: str) -> float | None:
    value = _first(params, name)
    if value is None:
        return None
    if isinstance(value, bool):
        raise LookupInputError(name, f"{name} must be a number.")
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise LookupInputError(name, f"{name} must be a number, not {str(value)[:40]!r}.") from None
    if not math.isfinite(number):
        raise LookupInputError(name, f"{name} must be a finite number.")
    return number


def _integer(params: Mapping[str, Any], name: str) -> int | None:
    number = _number(params, name)
    if number is None:
        return None
    if number != int(number):
        raise LookupInputError(name, f"{name} must be a whole number.")
    return int(number)


def _flag(params: Mapping[str, Any], name: str) -> bool | None:
    value = _first(params, name)
    if value is None or isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise LookupInputError(name, f"{name} must be true or false.")


def _when(params: Mapping[str, Any], zone: ZoneInfo, now: datetime) -> datetime:
    """The ``at`` parameter, read as every page and the gaps API read it (``moments``)."""
    try:
        return moments.parse_at(_first(params, "at"), zone, now, max_days=MAX_AT_DAYS)
    except moments.MomentError as exc:
        raise LookupInputError(exc.field, exc.message) from None


def _place(params: Mapping[str, Any]) -> tuple[float | None, float | None, str | None, str | None]:
    """(lat, lon, near, location_source): coordinates, or a typed place when there are none."""
    lat, lon = _number(params, "lat"), _number(params, "lon")
    near = _first(params, "near")
    if (lat is None) != (lon is None):
        missing = "lon" if lon is None else "lat"
        raise LookupInputError(missing, "Give both lat and lon, or type a place in near.")
    if lat is not None and not -90 <= lat <= 90:
        raise LookupInputError("lat", "lat must be between -90 and 90.")
    if lon is not None and not -180 <= lon <= 180:
        raise LookupInputError("lon", "lon must be between -180 and 180.")
    if near is not None and not isinstance(near, str):
        raise LookupInputError("near", "near must be text.")
    if near is not None and len(near) > MAX_NEAR_LENGTH:
        raise LookupInputError("near", f"near is longer than {MAX_NEAR_LENGTH} characters.")
    if lat is None and near is None:
        raise LookupInputError(
            "near", "Where is the person? Use your location, or type an address, ZIP or place."
        )
    source = _first(params, "location_source")
    if source is not None and source not in LOCATION_SOURCES:
        raise LookupInputError("location_source", f"location_source {source!r} is unknown.")
    if lat is None:
        source = None
    elif source not in ("geolocation", "map"):
        source = "coordinates"
    return lat, lon, near if lat is None else None, source


def _language(params: Mapping[str, Any]) -> str | None:
    """An ISO 639 code, lower case, without a region (``es-MX`` is ``es``)."""
    language = _first(params, "language")
    if language is None:
        return None
    if not isinstance(language, str) or not language.replace("-", "").isalpha():
        raise LookupInputError("language", "language must be an ISO 639-1 code such as es.")
    language = language.split("-")[0].lower()
    if len(language) not in (2, 3):
        raise LookupInputError("language", "language must be an ISO 639-1 code such as es.")
    return language


def _person(params: Mapping[str, Any], vocab: Vocabulary) -> dict[str, Any]:
    """The person's facts besides the needs: age, language, payment, populations, gender."""
    age = _integer(params, "age")
    if age is not None and not 0 <= age <= MAX_AGE:
        raise LookupInputError("age", f"age must be between 0 and {MAX_AGE}.")
    language = _language(params)
    payment = _first(params, "payment")
    if payment is not None and vocab.find(PAYMENT, str(payment)) is None:
        known = ", ".join(vocab.codes(PAYMENT))
        raise LookupInputError("payment", f"Unknown payment {payment!r}. Known: {known}.")
    populations = frozenset(_codes(params, "population", POPULATION, vocab))
    gender = _first(params, "gender")
    if gender is not None and gender not in GENDERS:
        raise LookupInputError("gender", "gender must be woman or man, or left out.")
    return {
        "age": age,
        "language": language,
        "payment": payment,
        "populations": populations,
        "gender": gender,
    }


def _options(params: Mapping[str, Any]) -> dict[str, Any]:
    """The officer's options that take a number: a maximum drive, how many results."""
    max_minutes = _number(params, "max_minutes")
    if max_minutes is not None and not 0 < max_minutes <= MAX_MINUTES_CAP:
        raise LookupInputError(
            "max_minutes", f"max_minutes must be more than 0 and at most {MAX_MINUTES_CAP}."
        )
    limit = _integer(params, "limit")
    if limit is not None and not 1 <= limit <= MAX_LIMIT:
        raise LookupInputError("limit", f"limit must be between 1 and {MAX_LIMIT}.")
    return {"max_minutes": max_minutes, "limit": limit or 10}


def parse_lookup_params(
    params: Mapping[str, Any], *, zone: ZoneInfo, now: datetime, vocab: Vocabulary | None = None
) -> LookupRequest:
    """Check and normalise lookup inputs (a JSON body, or a query string read by
    :func:`query_params`); ``LookupInputError`` names the first bad one and says what to fix.
    Names it does not know are ignored."""
    vocab = vocab or vocabulary()
    lat, lon, near, source = _place(params)
    needs = _codes(params, "needs", NEED, vocab)
    types = _codes(params, "types", SERVICE_TYPE, vocab)
    if not needs and not types:
        raise LookupInputError("needs", "Choose at least one need (or a service type).")
    person = _person(params, vocab)
    options = _options(params)
    intoxicated = _flag(params, "intoxicated")
    if intoxicated is False and "intoxicated" in default_policy().situations_of(needs):
        raise LookupInputError(
            "intoxicated",
            "The need \u201cintoxicated\u201d says the person is intoxicated; "
            "intoxicated=false contradicts it. Leave intoxicated out.",
        )
    at = _when(params, zone, now)
    return LookupRequest(
        at=at,
        at_now=_first(params, "at") is None or abs(at - now) <= AT_NOW_SLACK,
        lat=lat,
        lon=lon,
        near=near,
        location_source=source,
        needs=needs,
        types=types,
        intoxicated=intoxicated,
        **person,
        **options,
        transport=bool(_flag(params, "transport")),
        involuntary=bool(_flag(params, "involuntary")),
        require_open=_flag(params, "open_now"),
    )


# --------------------------------------------------------------------------- query strings


def query_params(args: Any, names: Iterable[str] | None = None) -> dict[str, Any]:
    """A query string (werkzeug's ``MultiDict``: anything with ``lists()``) as the lookup
    reads it: each list field as the list of its values, every other name as its first value;
    only ``names`` when given. The one reading of a query string: the JSON API's GET and the
    officer page (whose form echoes the same values) both start here."""
    wanted = None if names is None else set(names)
    return {
        name: values if name in LIST_FIELDS else values[0]
        for name, values in args.lists()
        if values and (wanted is None or name in wanted)
    }


def is_true(value: Any) -> bool:
    """Whether a flag's value is one of :data:`TRUE_WORDS` (a checkbox sends ``true``)."""
    return isinstance(value, str) and value.strip().lower() in TRUE_WORDS


def split_codes(value: Any) -> list[str]:
    """The codes of a list field (one value or several, each maybe comma-separated), once
    each, in order; not checked against the vocabulary."""
    parts = value if isinstance(value, list | tuple) else [value]
    codes: list[str] = []
    for part in parts:
        if isinstance(part, str):
            codes.extend(c.strip() for c in part.split(",") if c.strip())
    return list(dict.fromkeys(codes))


def form_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """The officer form's values as the lookup reads them; the form has one control per fact:

    - a typed place wins over coordinates left from an earlier search;
    - its "Intoxicated" is the need (which applies the rule); an older link's
      ``intoxicated=true`` is read as that need.
    """
    found = dict(params)
    near = found.get("near")
    if isinstance(near, str) and near.strip():
        for name in ("lat", "lon", "location_source"):
            found.pop(name, None)
    if is_true(found.get("intoxicated")):
        found.pop("intoxicated")
        found["needs"] = [*found.get("needs", []), "intoxicated"]
    return found
