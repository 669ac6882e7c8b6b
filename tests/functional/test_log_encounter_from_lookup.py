"""Issue #14 item 11: "Log encounter" from a result carries the lookup's place, needs and the
chosen facility over, and the facility list holds places only, nearest first."""

from __future__ import annotations

import html as htmllib
import re

from pmhc_directory.models import Role
from tests.factories import make_location, make_service
from tests.functional.test_directory_pages import log_in
from tests.functional.test_find_page import _place


def test_log_encounter_link_carries_the_lookup_over(client, session):
    near = _place(session, "Near Receiving", attributes=("open-24-7",), lat=35.09, lon=-106.65)
    far = _place(session, "Far Receiving", attributes=("open-24-7",), lat=35.30, lon=-106.65)
    line = make_service(session, name="County Crisis Line", types=("crisis-line",))
    court = make_service(session, name="Treatment Court", types=("treatment-court",))
    make_location(session, court, latitude=35.0901, longitude=-106.6501)
    session.commit()
    log_in(client, session, Role.OFFICER)

    results = client.get("/?lat=35.0844&lon=-106.6504&needs=crisis-now").get_data(as_text=True)
    links = re.findall(r'<p class="log-encounter-link"><a href="([^"]+)"', results)
    assert links, "no Log encounter link"
    link = htmllib.unescape(next(u for u in links if near.id in u))
    assert f"facility={near.id}" in link and "needs=crisis-now" in link
    assert "lat=35.0844" in link and "lon=-106.6504" in link

    form = client.get(link).get_data(as_text=True)
    select = form[form.index('name="facility_id"') :].split("</select>")[0]
    options = re.findall(r'<option(?: selected)? value="([^"]*)"', select)
    assert f'selected value="{near.id}"' in select or f'value="{near.id}" selected' in select
    assert options.index(near.id) < options.index(far.id)  # nearest first
    assert line.id not in options and court.id not in options  # places only
    assert 'value="crisis-now" checked' in form or 'value="crisis-now" selected' in form
