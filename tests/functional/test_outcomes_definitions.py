"""The four PMHC outcomes defined once and labelled so, and small-cell suppression on the
scorecard as on the dashboard (issue #22 item 5), over HTTP."""

from __future__ import annotations

import re

from pmhc_directory.models import Role
from pmhc_directory.services import outcomes as outcomes_service
from tests.functional.test_outcomes_pages import add_encounters, last_month, log_in, text_of

NUMBER_RE = re.compile(r"\d[\d,]*")


def scorecard_q5(html: str) -> str:
    start = html.index('id="q5"')
    return html[start : html.index('id="q6"', start)]


def test_each_measure_is_defined_once_under_one_of_the_four_outcomes():
    names = [m.name for m in outcomes_service.MEASURES]
    assert len(names) == len(set(names))
    headline = {m.outcome for m in outcomes_service.MEASURES if m.headline}
    assert headline == {
        "More connections to care",
        "Fewer repeat encounters",
        "Fewer arrests",
        "Less use of force",
    }
    connections = outcomes_service.MEASURE_BY_NAME["connections"]
    # It counts transports too, so it must not say "on scene" alone.
    assert connections.label == "Connected to care (on scene or taken to a facility)"
    assert "taken to a crisis facility" in connections.definition


def test_the_dashboard_labels_connections_as_counted_and_explains_each_measure(client, session):
    add_encounters(session, 6, disposition="connected-on-scene", when=last_month())
    add_encounters(session, 6, disposition="transported", when=last_month())
    log_in(client, session, Role.PLANNER)
    page = text_of(client.get("/outcomes/"))
    assert "Connected to care on scene" not in page
    assert "Connected to care (on scene or taken to a facility)" in page
    row = page[page.index('<th scope="row">Connected to care (on scene') :]
    row = row[: row.index("</tr>")]
    assert re.search(r">\s*12\s*<", row), "on scene and transported both count: 12"
    for measure in outcomes_service.MEASURES:
        assert measure.definition in page


def test_the_scorecard_suppresses_a_small_encounter_count(client, session):
    add_encounters(session, 3, disposition="arrest", when=last_month())
    log_in(client, session, Role.COORDINATOR)
    q5 = scorecard_q5(text_of(client.get("/outcomes/scorecard")))
    assert "&lt;11" in q5
    assert "Encounters in the last 12 months" in q5
    # Neither the count nor a share of it (1 of 3 is 33 %) is shown.
    assert not re.search(r">\s*3\s*<", q5)
    assert "%" not in q5


def test_the_scorecard_shows_the_count_from_eleven(client, session):
    add_encounters(session, 12, disposition="arrest", when=last_month(), area_id="A1")
    log_in(client, session, Role.COORDINATOR)
    q5 = scorecard_q5(text_of(client.get("/outcomes/scorecard")))
    assert re.search(r">\s*12\s*<", q5)
    assert "&lt;11" not in q5
