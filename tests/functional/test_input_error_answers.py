"""An ``InputError`` no view caught is answered in its own shape, never with a 500: the JSON
error body (spec/api.md) under /api/ and /hsds, a page with its message elsewhere."""

from __future__ import annotations

from pmhc_directory.errors import SearchUnavailableError
from pmhc_directory.services.capacity import CapacityInputError
from pmhc_directory.services.hsds_feed import FeedInputError


def _answer(app, path: str, exc: Exception):
    with app.test_request_context(path):
        return app.make_response(app.handle_user_exception(exc))


def test_uncaught_input_error_on_the_api_has_the_json_shape(app):
    response = _answer(app, "/api/v1/services", CapacityInputError("available", "Give a number."))
    assert response.status_code == 422
    assert response.get_json() == {
        "error": {"code": "invalid", "message": "Give a number.", "field": "available"}
    }


def test_uncaught_feed_error_keeps_its_status_and_code(app):
    exc = FeedInputError("colour", "colour is not a parameter.", "unsupported-parameter")
    response = _answer(app, "/hsds/services", exc)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "unsupported-parameter"


def test_uncaught_input_error_on_a_page_is_a_page_with_the_message(app):
    response = _answer(app, "/inventory/", CapacityInputError("available", "Give a number."))
    assert response.status_code == 422
    assert response.mimetype == "text/html"
    assert "Give a number." in response.get_data(as_text=True)


def test_search_unavailable_is_503_in_the_json_shape(app):
    response = _answer(app, "/api/v1/services", SearchUnavailableError("index gone"))
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "unavailable"
    assert "index gone" not in response.get_data(as_text=True)
