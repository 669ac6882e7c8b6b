"""One set of field checks for the editor and every importer (pmhc_directory.validators), and
the bounded zip check (hsds.bounded)."""

from __future__ import annotations

import zipfile

import pytest

from pmhc_directory import validators
from pmhc_directory.hsds.bounded import check_zip_size, unzipped_limit
from pmhc_directory.hsds.deserialize import parse_services
from pmhc_directory.hsds.errors import ReadFailed
from pmhc_directory.hsds.legacy211 import email_address as legacy_email
from pmhc_directory.hsds.legacy211 import web_address as legacy_web


@pytest.mark.parametrize(
    "good", ["intake@example.org", "a.b+c@sub.example.co.uk", "mailto:x@y.org"]
)
def test_email_accepted(good):
    assert validators.email_address(good) == good.removeprefix("mailto:")


@pytest.mark.parametrize("bad", ["a@b", "a@b.", "@example.org", "a b@example.org", "a@b@c.org",
                                 "one@example.org, two@example.org", ""])  # fmt: skip
def test_email_refused(bad):
    with pytest.raises(ValueError, match="email"):
        validators.email_address(bad)


GOOD_URLS = [
    "https://example.org/",
    "http://example.org/a?b=c#d",
    "https://sub.example.org:8443/x",
    "http://localhost:5000/",
]


@pytest.mark.parametrize("good", GOOD_URLS)
def test_web_url_accepted(good):
    assert validators.web_url(good) == good


@pytest.mark.parametrize("bad", ["homepage", "example.org", "ftp://example.org/",
                                 "http://www.example.org\\crisis\\index.html", "https://",
                                 "https://host/", "http://exa mple.org/", "http://example.org:x/",
                                 "mailto:a@example.org"])  # fmt: skip
def test_web_url_refused(bad):
    with pytest.raises(ValueError, match="web address"):
        validators.web_url(bad)


def test_phone_zip_time():
    assert validators.phone_number(" 505-555-0100 ") == "505-555-0100"
    assert validators.phone_number("1-800-SUICIDE") == "1-800-SUICIDE"
    for bad in ("", "call us", "5" * 101):
        with pytest.raises(ValueError):
            validators.phone_number(bad)
    assert validators.us_zip("87101") == "87101"
    assert validators.us_zip("87101-1234") == "87101-1234"
    for bad in ("8710", "871011", "87101-12", "ABCDE"):
        with pytest.raises(ValueError):
            validators.us_zip(bad)
    assert validators.time_of_day("09:30") == "09:30"
    for bad in ("9:30", "24:00", "6:300pm", "12:60"):
        with pytest.raises(ValueError):
            validators.time_of_day(bad)


def test_importers_use_the_same_checks():
    """The legacy reader and the HSDS 3.1 parser refuse what the editor refuses."""
    with pytest.raises(ValueError):
        legacy_email("a@b")
    with pytest.raises(ValueError):
        legacy_web("www.example.org\\crisis")
    assert legacy_web("www.example.org/crisis") == "http://www.example.org/crisis"
    record = {
        "id": "0b8f3f3e-0000-4000-8000-000000000001",
        "name": "x" * 501,  # the editor's limit is 500
        "status": "active",
        "email": "a@b",
        "url": "homepage",
        "organization": {"id": "0b8f3f3e-0000-4000-8000-000000000002", "name": "Org"},
    }
    fields = {issue.field for issue in parse_services([record]).issues}
    assert {"service.name", "service.email", "service.url"} <= fields
    assert validators.text_limit("services", "name") == 500


def test_zip_expanding_past_the_limit_is_refused_before_reading(tmp_path):
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.csv", "x" * 2_000_000)
        archive.writestr("b.csv", "y" * 1_000_000)
    with zipfile.ZipFile(path) as archive:
        check_zip_size(archive, "bomb.zip", 3_000_000)  # exactly at the limit: fine
        with pytest.raises(ReadFailed) as refused:
            check_zip_size(archive, "bomb.zip", 2_999_999)
        assert "IMPORT_MAX_UNZIPPED_MB" in str(refused.value.issues[0].message)
        with unzipped_limit(1_000_000), pytest.raises(ReadFailed):
            check_zip_size(archive, "bomb.zip")
        check_zip_size(archive, "bomb.zip")  # the default (256 MB) outside the context
