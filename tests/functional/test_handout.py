"""The printable handout: chosen services with a QR code each, in English or Spanish."""

from __future__ import annotations

import re
import uuid
from urllib.parse import unquote

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from pmhc_directory.db import Base
from pmhc_directory.models import Address, Phone, Schedule
from pmhc_directory.views import find
from pmhc_directory.views.handout_strings import STRINGS, translate_hours
from tests.factories import make_location, make_service

QR_RE = re.compile(r'<img src="(data:image/svg\+xml[^"]+)" width="160" height="160" alt="([^"]*)"')


def text_of(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def two_services(session):
    first = make_service(session, name="Riverton Receiving Center")
    first.phones.append(Phone(number="(505) 555-0142"))
    first.schedules.append(
        Schedule(freq="WEEKLY", byday="MO,TU,WE,TH,FR", opens_at="08:00", closes_at="17:00")
    )
    location = make_location(session, first, name="Main campus")
    location.addresses.append(
        Address(
            address_1="9 Oak St",
            city="Riverton",
            state_province="NM",
            postal_code="87102",
            country="US",
        )
    )
    second = make_service(session, name="Línea de Ayuda Riverton", types=("crisis-line",))
    second.phones.append(Phone(number="505-555-0199", type="voice"))
    second.phones.append(Phone(number="505-555-0198", type="text", position=1))
    session.commit()
    return first, second


def test_handout_in_english(client, two_services):
    first, second = two_services

    response = client.get(f"/handout?services={first.id},{second.id}&lang=en")
    html = text_of(response)

    assert response.status_code == 200
    assert '<article class="handout" lang="en"' in html
    assert STRINGS["en"]["title"] in html and str(escape(STRINGS["en"]["crisis_988"])) in html
    assert "Riverton Receiving Center" in html and "Línea de Ayuda Riverton" in html
    assert "(505) 555-0142" in html and 'href="tel:5055550142"' in html
    assert "9 Oak St, Riverton, NM 87102" in html
    assert "Mon-Fri 8:00 AM-5:00 PM" in html
    assert STRINGS["en"]["no_address"] in html  # the phone line has no address
    assert STRINGS["en"]["no_hours"] in html
    # Switch language keeps only the service ids.
    assert f'href="/handout?services={first.id},{second.id}&amp;lang=es"' in html
    assert "data-print hidden" in html


def test_handout_in_spanish(client, two_services):
    first, _ = two_services

    html = text_of(client.get(f"/handout?services={first.id}&lang=es"))

    assert '<article class="handout" lang="es"' in html
    for key in ("title", "intro", "phone", "address", "hours", "crisis_988", "crisis_911"):
        assert str(escape(STRINGS["es"][key])) in html, key
    assert STRINGS["en"]["title"] not in html
    assert "lun-vie 8:00 AM-5:00 PM" in html
    assert "Riverton Receiving Center" in html  # names stay as published


def test_each_service_has_a_qr_code_with_name_phone_and_address(client, two_services):
    first, second = two_services

    html = text_of(client.get(f"/handout?services={first.id}&services={second.id}"))
    codes = QR_RE.findall(html)

    assert len(codes) == 2
    uri, alt = codes[0]
    svg = unquote(uri.split(",", 1)[1])
    assert svg.startswith("<svg") and "</svg>" in svg
    assert "Riverton Receiving Center" in alt


def test_qr_text_is_plain_name_phone_and_address(app, session, two_services):
    from zoneinfo import ZoneInfo

    from pmhc_directory.services.directory import get_service_detail

    first, second = two_services
    with app.test_request_context():
        detail = get_service_detail(
            session,
            first.id,
            zone=ZoneInfo("America/Denver"),
            reverify_days=180,
            capacity_fresh_hours=12,
        )
        item = find.handout_item(detail, "en")
        line = get_service_detail(
            session,
            second.id,
            zone=ZoneInfo("America/Denver"),
            reverify_days=180,
            capacity_fresh_hours=12,
        )
        line_item = find.handout_item(line, "es")

    assert (
        item["qr_text"]
        == "Riverton Receiving Center\nTel: (505) 555-0142\n9 Oak St, Riverton, NM 87102"
    )
    assert line_item["qr_text"] == "Línea de Ayuda Riverton\nTel: 505-555-0199"
    assert item["qr"].startswith("data:image/svg+xml")


def test_unknown_ids_are_left_out_with_a_note(client, two_services):
    first, _ = two_services

    response = client.get(f"/handout?services={first.id},{uuid.uuid4()},not-an-id")
    html = text_of(response)

    assert response.status_code == 200
    assert len(QR_RE.findall(html)) == 1
    assert STRINGS["en"]["missing"] in html


def test_only_unknown_ids_is_404(client):
    response = client.get(f"/handout?services={uuid.uuid4()}")

    assert response.status_code == 404
    assert "None of the chosen services" in text_of(response)


def test_no_services_chosen_from_the_results_leaves_them_on_screen(client):
    # A form submitted from our own results page: 204 No Content keeps that page (find.js
    # normally says "nothing is ticked" there without asking the server at all).
    response = client.get("/handout?lang=es", headers={"Sec-Fetch-Site": "same-origin"})

    assert response.status_code == 204
    assert response.get_data() == b""


@pytest.mark.parametrize("site", [None, "none", "cross-site"])
def test_no_services_chosen_from_elsewhere_opens_the_search_with_a_message(client, site):
    headers = {"Sec-Fetch-Site": site} if site else {}
    response = client.get("/handout", headers=headers)

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "No handout yet: nothing was ticked." in text_of(client.get("/"))


def test_too_many_services_is_400(client):
    ids = ",".join(str(uuid.uuid4()) for _ in range(find.MAX_HANDOUT_SERVICES + 1))

    response = client.get(f"/handout?services={ids}")

    assert response.status_code == 400


def test_unknown_language_falls_back_to_english(client, two_services):
    first, _ = two_services

    html = text_of(client.get(f"/handout?services={first.id}&lang=fr"))

    assert STRINGS["en"]["title"] in html


def _row_counts(session) -> dict[str, int]:
    return {
        table.name: session.scalar(select(func.count()).select_from(table))
        for table in Base.metadata.sorted_tables
    }


def test_making_a_handout_stores_nothing(client, session, two_services):
    first, second = two_services
    before = _row_counts(session)

    for lang in ("en", "es"):
        response = client.get(f"/handout?services={first.id},{second.id}&lang={lang}")
        assert response.status_code == 200

    session.expire_all()
    assert _row_counts(session) == before
    assert "Set-Cookie" not in response.headers  # no session either


def test_handout_page_has_no_inline_code(client, two_services):
    first, _ = two_services

    html = text_of(client.get(f"/handout?services={first.id}"))

    assert re.search(r"<script\b[^>]*>\s*[^<\s]", html) is None
    assert " style=" not in html.lower() and "<style" not in html.lower()


@pytest.mark.parametrize(
    ("line", "spanish"),
    [
        ("Open 24/7", "Abierto las 24 horas, todos los días"),
        ("Mon-Fri 8:00 AM-5:00 PM", "lun-vie 8:00 AM-5:00 PM"),
        ("Sat, Sun 10:00 PM-6:00 AM (next day)", "sáb, dom 10:00 PM-6:00 AM (día siguiente)"),
        ("Every day 24 hours", "Todos los días 24 horas"),
        ("Closed 2026-12-25 to 2026-12-26", "Cerrado 2026-12-25 al 2026-12-26"),
        # Anything else is shown as published.
        ("Call to confirm Mon hours", "Call to confirm Mon hours"),
        ("2nd Monday 9:00 AM-12:00 PM", "2nd Monday 9:00 AM-12:00 PM"),
    ],
)
def test_hours_lines_in_spanish(line, spanish):
    assert translate_hours(line, "es") == spanish
    assert translate_hours(line, "en") == line
