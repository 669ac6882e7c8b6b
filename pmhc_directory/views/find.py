"""The officer page at ``/``: where can I take this person right now?

One GET form (works without JavaScript, and the back button works) -> ``query_params`` (the
query string read once; the form echoes it) -> ``parse_lookup_params`` -> ``lookup_from_app``
(a typed ``LookupAnswer``) -> result cards, what was left out and why, gap notices and the
national lines. From the results: a printable handout (``/handout``, nothing about the person
in it) and "Report a problem" on every card (``POST /services/<id>/problems``).

Input errors are shown beside their field with the form kept as typed, as a normal page
(status 200): it is the same form asking for a correction, and a 4xx page would be logged by the
browser as a failed load. The typed location is used for the one search; nothing here logs or
stores it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from ..auth import directory_reader
from ..db import get_session
from ..hours import format_time
from ..hours.describe import DAY_ABBREVIATIONS, MONTH_ABBREVIATIONS
from ..matching.policy import default_policy
from ..matching.rules import language_name
from ..services import directory as directory_service
from ..services import problems as problem_service
from ..services.directory import PhoneInfo, phone_href
from ..services.lookup import (
    AnsweredQuery,
    ContactLineAnswer,
    GapAnswer,
    LookupAnswer,
    LookupInputError,
    ResultAnswer,
    form_params,
    is_true,
    parse_lookup_params,
    place_names,
    policy_from_config,
    query_params,
    split_codes,
)
from ..taxonomy import NEED, PAYMENT, POPULATION, SERVICE_TYPE, vocabulary
from .auth import safe_next
from .handout_strings import LANGUAGES, strings_for, translate_hours
from .lookup_support import lookup_from_app, record_unmet_from_app
from .rate_limits import lookup_limits, problem_report_limit

log = logging.getLogger(__name__)

bp = Blueprint("find", __name__)

#: Query-string names the page's lookup reads (spec/api.md 3; not ``open_now``, which the form
#: does not offer); any of them present means "search".
LOOKUP_FIELDS = (
    "lat",
    "lon",
    "near",
    "location_source",
    "needs",
    "types",
    "age",
    "language",
    "payment",
    "population",
    "gender",
    "transport",
    "intoxicated",
    "involuntary",
    "at",
    "max_minutes",
    "limit",
)
#: Where an input error is shown: the lookup's field name -> the form's field.
ERROR_FIELD = {
    "lat": "near",
    "lon": "near",
    "location_source": "near",
    "types": "needs",
}
FORM_FIELDS = {
    "near",
    "needs",
    "age",
    "language",
    "payment",
    "population",
    "gender",
    "at",
    "max_minutes",
}

#: Languages offered in the form (ISO 639-1); the lookup takes any code.
LANGUAGE_CHOICES = [
    ("es", "Spanish"),
    ("nv", "Navajo"),
    ("vi", "Vietnamese"),
    ("zh", "Chinese"),
    ("ar", "Arabic"),
    ("ko", "Korean"),
    ("tl", "Tagalog"),
    ("ru", "Russian"),
    ("fr", "French"),
]

#: Diversion attributes worth a tag on a card, in this order, with short words.
KEY_FLAGS = {
    "law-enforcement-no-refusal": "Never turns police away",
    "accepts-law-enforcement-dropoff": "Police drop-off",
    "no-medical-clearance": "No medical clearance",
    "accepts-intoxicated": "Takes intoxicated",
    "accepts-involuntary": "Takes holds",
    "voluntary-only": "Voluntary only",
    "walk-in": "Walk-in",
}
WARNING_FLAGS = {"voluntary-only"}

KM_PER_MILE = 1.609344
MAX_HANDOUT_SERVICES = 12
THANKS = "Thanks, the coordinators will check this listing."


# The page -----------------------------------------------------------------------------------------


@dataclass
class FormState:
    """What the form shows: the values as typed (or the first-visit defaults)."""

    near: str = ""
    lat: str = ""
    lon: str = ""
    location_source: str = ""
    needs: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    age: str = ""
    language: str = ""
    payment: str = ""
    population: list[str] = field(default_factory=list)
    gender: str = ""
    transport: bool = True
    intoxicated: bool = False
    involuntary: bool = False
    at: str = ""
    max_minutes: str = ""
    sort: str = "best"

    @property
    def more_open(self) -> bool:
        """Whether "more about the person" starts unfolded (something in it is set)."""
        return bool(self.age or self.language or self.payment or self.population or self.gender)

    @property
    def options_open(self) -> bool:
        return bool(self.at or self.max_minutes)

    @classmethod
    def of(cls, params: Mapping[str, Any], sort: str | None = None) -> FormState:
        """The form as typed, from the query string as the lookup reads it (``query_params``):
        the page's "Intoxicated" box is the need (an older link's ``intoxicated=true`` too)."""

        def text(name: str) -> str:
            value = params.get(name)
            return value.strip() if isinstance(value, str) else ""

        intoxicated = is_true(params.get("intoxicated"))
        return cls(
            near=text("near"),
            lat=text("lat"),
            lon=text("lon"),
            location_source=text("location_source"),
            needs=split_codes(params.get("needs")) + (["intoxicated"] if intoxicated else []),
            types=split_codes(params.get("types")),
            age=text("age"),
            language=text("language"),
            payment=text("payment"),
            population=split_codes(params.get("population")),
            gender=text("gender"),
            transport=is_true(params.get("transport")),
            intoxicated=intoxicated,
            involuntary=is_true(params.get("involuntary")),
            at=text("at"),
            max_minutes=text("max_minutes"),
            sort="nearest" if (sort or "").strip() == "nearest" else "best",
        )


def _policy() -> Any:
    try:
        return policy_from_config(current_app.config)
    except ValueError:  # a bad setting is reported by the lookup itself
        return default_policy()


def form_choices() -> dict[str, Any]:
    """One control per fact: the age decides the age-defined populations, so they are not
    offered again as boxes; gender has its own control."""
    vocab = vocabulary()
    policy = _policy()
    not_boxes = policy.age_defined | {"women", "men"}
    return {
        "needs": [(t.code, t.name) for t in vocab.terms if t.taxonomy == NEED],
        "payments": [(t.code, t.name) for t in vocab.terms if t.taxonomy == PAYMENT],
        "populations": [
            (t.code, t.name)
            for t in vocab.terms
            if t.taxonomy == POPULATION and t.code not in not_boxes
        ],
        "age_groups": [
            (vocab.term(POPULATION, r.population).name.split(" (")[0], r.words)
            for r in policy.age_ranges
            if vocab.find(POPULATION, r.population)
        ],
        "languages": LANGUAGE_CHOICES,
    }


@bp.get("/")
@directory_reader
@lookup_limits(is_lookup=lambda: any(name in request.args for name in LOOKUP_FIELDS))
def index() -> str:
    """The officer page; any lookup field in the query string makes it a search.

    A search reads, with one write, made here explicitly: for a signed-in officer who asked
    about now, the answer's unmet needs are recorded (``record_unmet_from_app``: once per
    lookup intent, only the analysis area and the hour) and committed. Coming back to the same
    results after a problem report (``again``) records nothing. A failure to record is logged
    and rolled back; the results are shown all the same.
    """
    args = request.args
    params = query_params(args, LOOKUP_FIELDS)  # the one reading of the query string
    submitted = bool(params)
    form = FormState.of(params, args.get("sort")) if submitted else FormState()
    session = get_session()
    errors: dict[str, str] = {}
    general_error: str | None = None
    answer: LookupAnswer | None = None
    choices: list[dict[str, str]] = []
    if submitted:
        zone = ZoneInfo(current_app.config["TIMEZONE"])
        try:
            lookup = parse_lookup_params(form_params(params), zone=zone, now=datetime.now(UTC))
            answer = lookup_from_app(session, lookup)
        except LookupInputError as exc:
            choices = _place_choices(args, exc.choices)
            target = ERROR_FIELD.get(exc.field or "", exc.field or "")
            if target in FORM_FIELDS:
                errors[target] = exc.message
            else:
                general_error = exc.message
        else:
            if "again" in args:  # the same results shown again after a problem report
                session.rollback()
            else:
                try:
                    record_unmet_from_app(session, lookup, answer)
                    session.commit()
                except SQLAlchemyError:
                    session.rollback()
                    log.warning("could not record unmet needs for a lookup", exc_info=True)
    lines = directory_service.list_national_lines(session)
    view = results_view(answer, form, lines) if answer is not None else None
    return render_template(
        "find/index.html",
        form=form,
        choices=form_choices(),
        errors=errors,
        general_error=general_error,
        searched=view is not None,
        view=view,
        national_lines=lines if view is None else view["contact_lines"],
        problem_kinds=list(problem_service.PROBLEM_KIND_LABELS.items()),
        problem_max=problem_service.MAX_DETAILS,
        back_to=_back_to(args),
        reported=args.get("reported") or "",
        place_choices=choices,
        known_places=place_names(session),
    )


def _place_choices(args: MultiDict[str, str], texts: list[str]) -> list[dict[str, str]]:
    """ "Did you mean" links: the same search with each offered place (no script needed)."""
    found = []
    for text in texts:
        chosen = MultiDict(args)
        for name in ("near", "lat", "lon", "location_source", "again", "reported"):
            chosen.poplist(name)
        chosen.setlist("near", [text])
        found.append(
            {"text": text, "url": f"{request.path}?{urlencode(list(chosen.items(multi=True)))}"}
        )
    return found


def _back_to(args: MultiDict[str, str]) -> str:
    """This page's address for coming back after a problem report (without an older
    ``reported`` mark)."""
    if not args:
        return request.path
    kept = MultiDict(args)
    kept.poplist("reported")
    return f"{request.path}?{urlencode(list(kept.items(multi=True)))}"


# Turning the lookup answer into what the cards show -----------------------------------------------


def _miles(km: float | None) -> str | None:
    if km is None:
        return None
    miles = km / KM_PER_MILE
    return f"{miles:.1f} mi" if miles < 10 else f"{round(miles)} mi"


def _when_text(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    month = MONTH_ABBREVIATIONS[moment.month - 1]
    return f"{DAY_ABBREVIATIONS[moment.weekday()]} {month} {moment.day}, {format_time(moment)}"


def _phones(numbers: Iterable[str]) -> list[dict[str, str | None]]:
    return [{"number": n, "href": phone_href(n)} for n in dict.fromkeys(numbers) if n]


def _open_class(open_now: bool | None) -> str:
    if open_now is None:
        return "unknown"
    return "open" if open_now else "closed"


def _travel_text(result: ResultAnswer) -> str:
    """How the person gets there: a drive, a team that comes, a call or a video visit."""
    if result.continuum == "respond":
        return "Comes to you"  # a team's base is not where the officer drives
    if result.continuum == "contact":
        return "By phone"
    if result.travel_minutes is not None:
        miles = _miles(result.distance_km)
        return f"{result.travel_minutes} min drive" + (f", {miles}" if miles else "")
    if "telehealth" in result.attributes:
        return "Telehealth: by video or phone"
    return "Distance not known"


def _card(result: ResultAnswer) -> dict[str, Any]:
    vocab = vocabulary()
    matched = result.matched_type or next(iter(result.service_types), None)
    type_term = vocab.find(SERVICE_TYPE, matched) if matched else None
    continuum = result.continuum
    comes_to_you = continuum == "respond"
    flags = [
        {"label": label, "warning": code in WARNING_FLAGS}
        for code, label in KEY_FLAGS.items()
        if code in result.attributes
    ]
    key = result.service_at_location_id or result.service_id
    return {
        "key": key,
        "anchor": f"result-{key}",
        "alert": result.alert,
        "eligibility": list(result.eligibility),
        "service_id": result.service_id,
        "name": result.name,
        "organization": result.organization or "",
        "type_name": type_term.name if type_term else None,
        "open_text": result.open_status_text or "Hours unknown",
        "open_class": _open_class(result.open_now),
        "travel": _travel_text(result),
        "travel_minutes": result.travel_minutes,  # for "nearest first"
        "capacity_text": result.capacity_text,
        "capacity_fresh": result.capacity is not None and not result.capacity.stale,
        "flags": flags,
        "phones": _phones(result.phones),
        "address": result.address,
        # The phone's own map app (geo: URI), and the web map as the fallback; a team that
        # comes to the person has no address to drive to.
        "geo_uri": None if comes_to_you else result.geo_uri,
        "directions_url": None if comes_to_you else result.directions_url,
        "reasons": list(result.reasons),
        "is_service": continuum not in ("contact",),
        "is_place": continuum == "place",
    }


def _query_rules(query: AnsweredQuery) -> list[str]:
    """The rules the lookup applied, in words (the person's facts and the officer's options)."""
    vocab = vocabulary()
    rules: list[str] = []
    if query.transport:
        rules.append(
            "officer will drive them: crisis places where you hand the person over must take"
            " police drop-offs (clinics, housing and lines are not judged by it)"
        )
    if query.intoxicated or "intoxicated" in query.needs:
        rules.append("intoxicated: only places that accept intoxicated people")
    if query.involuntary:
        rules.append("on an emergency hold: only places that accept holds")
    if query.age is not None:
        rules.append(f"age {query.age}")
    if query.gender:
        rules.append(query.gender)
    if query.language:
        rules.append(f"speaks {language_name(query.language)}")
    if query.payment and vocab.find(PAYMENT, query.payment):
        rules.append(f"payment: {vocab.term(PAYMENT, query.payment).name}")
    rules.extend(
        vocab.term(POPULATION, c).name for c in query.population if vocab.find(POPULATION, c)
    )
    if query.max_minutes:
        rules.append(f"within {query.max_minutes:g} minutes")
    return rules


def _query_summary(query: AnsweredQuery) -> dict[str, Any]:
    vocab = vocabulary()
    needs = [vocab.term(NEED, c).name for c in query.needs if vocab.find(NEED, c)]
    types = [vocab.term(SERVICE_TYPE, c).name for c in query.types if vocab.find(SERVICE_TYPE, c)]
    source = query.location_source
    if query.location_label:
        where = query.location_label
    elif source == "geolocation":
        where = "your location"
    else:
        where = f"{query.lat}, {query.lon}"
    return {
        "where": where,
        "source": source,
        "wanted": needs + types,
        "rules": _query_rules(query),
        "at": _when_text(query.at),
    }


def _contact_lines(
    lines: list[directory_service.NationalLine], answer_lines: Iterable[ContactLineAnswer]
) -> list[Any]:
    """The national lines with their full phone facts, plus any other line the lookup gave."""
    known = {line.id for line in lines}
    extra = [
        directory_service.NationalLine(
            id=line.service_id,
            name=line.name,
            description=None,
            phones=[PhoneInfo(number=n) for n in dict.fromkeys(line.phones)],
        )
        for line in answer_lines
        if line.service_id not in known
    ]
    return [*lines, *extra]


def _more_url(query: AnsweredQuery, more: int) -> str | None:
    """The same search with room for ``more`` results (at most 50), or None."""
    if not more:
        return None
    wider = MultiDict(request.args)
    wider.setlist("limit", [str(min(50, query.limit + more))])
    wider.poplist("again")
    return f"{request.path}?{urlencode(list(wider.items(multi=True)))}"


def results_view(
    answer: LookupAnswer, form: FormState, lines: list[directory_service.NationalLine]
) -> dict[str, Any]:
    cards = _distinct_cards([_card(r) for r in answer.results])
    if form.sort == "nearest":
        cards.sort(key=lambda card: (card["travel_minutes"] is None, card["travel_minutes"] or 0))
    excluded = [
        {
            "name": e.name,
            "service_id": e.service_id,
            "reasons": [r.message or r.code for r in e.reasons],
        }
        for e in answer.excluded
    ]
    query = answer.query
    gaps = [_gap_view(g) for g in answer.gaps if g.message]
    return {
        "cards": cards,
        "excluded": excluded,
        "excluded_more": answer.excluded_more,
        "gaps": gaps,
        # "No place fits" only when nothing fits the person's facts: not when only the
        # officer's options (drive them there, a maximum drive) left the places out.
        "options_only": bool(gaps) and all(g["cause"] == "options" for g in gaps),
        # "Log encounter" carries the lookup's place and needs over (issue #14 item 11).
        "encounter_args": {
            "near": form.near or None,
            "lat": None if form.near else query.lat,
            "lon": None if form.near else query.lon,
            "needs": list(query.needs),
        },
        "summary": _query_summary(query),
        "more": answer.more_results,
        "more_url": _more_url(query, answer.more_results),
        "contact_lines": _contact_lines(lines, answer.contact_lines),
    }


def _distinct_cards(cards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One card per service and place: the same service at the same address (two sites of one
    building, a listing repeated) is shown once, at its best rank."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for card in cards:
        where = (card.get("address") or card["key"]).casefold()
        if (card["service_id"], where) in seen:
            continue
        seen.add((card["service_id"], where))
        kept.append(card)
    return kept


#: What a "show them" link turns off, per blocking code an officer's option causes.
OPTION_PARAMS = {"no-law-enforcement-dropoff": "transport", "too-far": "max_minutes"}


def _gap_view(gap: GapAnswer) -> dict[str, Any]:
    """A gap notice: the headline, what blocked the places that exist, and for a gap only the
    officer's options made, a link that shows those places (the same search without them)."""
    cause = gap.cause or "facts"
    show_url = None
    if cause == "options":
        drop = {OPTION_PARAMS[code] for code, _ in gap.blocked if code in OPTION_PARAMS}
        wider = MultiDict(request.args)
        for name in (*drop, "again", "reported", "limit"):
            wider.poplist(name)
        show_url = f"{request.path}?{urlencode(list(wider.items(multi=True)))}"
    return {
        "message": gap.message,
        "detail": gap.detail,
        "cause": cause,
        "show_url": show_url,
        "shown_count": gap.left_out_by_options,
    }


# Handout ------------------------------------------------------------------------------------------


def _handout_ids(args: MultiDict[str, str]) -> list[str]:
    return split_codes(args.getlist("services"))


def qr_data_uri(text: str) -> str:
    """An SVG QR code of ``text`` as a ``data:`` URI (CSP allows ``img-src data:``)."""
    import segno  # only the handout needs it

    code = segno.make(text, error="m", micro=False)
    return code.svg_data_uri(scale=4, border=2, title=None)


def _address_line(lines: list[str]) -> str:
    return ", ".join(p for p in lines if p)


def handout_item(detail: directory_service.ServiceDetail, lang: str) -> dict[str, Any]:
    phones = list(detail.phones)
    addresses: list[str] = []
    hours_lines = list(detail.hours.lines)
    for location in detail.locations:
        for lines in location.address_lines:
            text = _address_line(lines)
            if text and text not in addresses:
                addresses.append(text)
        for phone in location.phones:
            if phone not in phones:
                phones.append(phone)
        if not hours_lines:
            hours_lines = list(location.hours.lines)
    first_phone = next((p for p in phones if not p.is_text), phones[0] if phones else None)
    qr_lines = [detail.name]
    if first_phone is not None:
        qr_lines.append(f"Tel: {first_phone.number}")
    if addresses:
        qr_lines.append(addresses[0])
    qr_text = "\n".join(qr_lines)
    return {
        "id": detail.id,
        # The alert in force, first on the handout as on the card (issue #14 item 5).
        "alert": detail.alert,
        "name": detail.name,
        "organization": detail.organization,
        "active": detail.is_active,
        "phones": phones,
        "addresses": addresses,
        "hours": [translate_hours(line, lang) for line in hours_lines],
        "qr": qr_data_uri(qr_text),
        "qr_text": qr_text,
    }


@bp.get("/handout")
@directory_reader
def handout() -> Any:
    """A printable page for the person: the chosen services, with a QR code for each.

    Only service ids and a language are read; nothing is written. Unknown ids are left out
    (with a note); none known at all is a 404; none chosen leaves the results on screen.
    """
    lang = request.args.get("lang", "en")
    if lang not in LANGUAGES:
        lang = "en"
    ids = _handout_ids(request.args)
    if not ids:
        # Nothing ticked. From the results page (find.js says so there without asking us; a
        # browser without it gets 204 No Content, which leaves the results on screen): no page
        # is sent, so the results are not lost. No Referer comes (Referrer-Policy), so from
        # anywhere else the search page opens with the reason on top.
        if request.headers.get("Sec-Fetch-Site") == "same-origin":
            return Response(status=204)
        flash(
            "No handout yet: nothing was ticked. Tick \u201cAdd to handout\u201d on the places "
            "to give the person, then make the handout again.",
            "error",
        )
        return redirect(url_for("find.index"))
    if len(ids) > MAX_HANDOUT_SERVICES:
        abort(
            400,
            description=f"A handout holds at most {MAX_HANDOUT_SERVICES} services; "
            f"{len(ids)} were chosen.",
        )
    config = current_app.config
    session = get_session()
    items = []
    for service_id in ids:
        detail = directory_service.get_service_detail(
            session,
            service_id,
            zone=ZoneInfo(config["TIMEZONE"]),
            reverify_days=int(config["REVERIFY_DAYS"]),
            capacity_fresh_hours=float(config["CAPACITY_FRESH_HOURS"]),
        )
        if detail is not None:
            items.append(handout_item(detail, lang))
    if not items:
        abort(404, description="None of the chosen services are in the directory.")
    other = "es" if lang == "en" else "en"
    return render_template(
        "find/handout.html",
        items=items,
        lang=lang,
        t=strings_for(lang),
        missing=len(ids) - len(items),
        other_url=url_for("find.handout", services=",".join(i["id"] for i in items), lang=other),
        today=datetime.now(ZoneInfo(config["TIMEZONE"])).date(),
    )


# Report a problem ---------------------------------------------------------------------------------


@bp.post("/services/<service_id>/problems")
@directory_reader
@problem_report_limit
def report_problem(service_id: str) -> Response:
    """Store a problem report for the coordinators' queue, then go back to the results."""
    session = get_session()
    reporter = current_user.email if current_user.is_authenticated else None
    try:
        report = problem_service.report_problem(
            session,
            service_id,
            request.form.get("kind", ""),
            request.form.get("details", ""),
            reporter,
        )
    except problem_service.UnknownServiceError:
        abort(404, description="There is no service with this address in the directory.")
    except problem_service.ProblemReportError as exc:
        abort(400, description=exc.message)
    session.commit()
    target = safe_next(request.form.get("next"))
    anchor = _anchor(request.form.get("anchor"))
    if target is None:
        flash(THANKS, "success")
        return redirect(url_for("directory.service", service_id=report.service_id))
    if not anchor or not target.startswith(url_for("find.index") + "?"):
        flash(THANKS, "success")
        return redirect(_mark_again(target) + anchor)
    # Back on the results, the thanks is shown inside the card reported on (and focused).
    return redirect(_mark_again(target, reported=anchor[1:]) + anchor)


def _mark_again(target: str, reported: str | None = None) -> str:
    """The results page address with ``again=1``, so coming back does not count twice, and
    ``reported=<card>`` for the card to confirm on."""
    if not target.startswith(url_for("find.index") + "?"):
        return target
    marks = target.split("?", 1)[1].split("&")
    if "again=1" not in marks:
        target = f"{target}&again=1"
    if reported:
        target = f"{target}&{urlencode({'reported': reported})}"
    return target


def _anchor(value: str | None) -> str:
    """``#result-<id>`` when ``value`` is such an anchor, else nothing."""
    if value and value.startswith("result-") and all(c.isalnum() or c == "-" for c in value):
        return f"#{value}"
    return ""
