"""Error answers and security headers on every response."""

from __future__ import annotations


def test_api_404_uses_json_error_shape(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.is_json
    error = response.get_json()["error"]
    assert error["code"] == "not-found"
    assert isinstance(error["message"], str) and error["message"]
    assert "field" in error


def test_html_404_is_a_page_without_traceback(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert b"Traceback" not in response.data


def test_security_headers_present(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_unexpected_error_is_a_plain_500(app, client, monkeypatch):
    from pmhc_directory.views import directory

    def explode(*args, **kwargs):
        raise RuntimeError("secret internals")

    view = app.view_functions["directory.browse"]
    monkeypatch.setitem(app.view_functions, "directory.browse", explode)
    response = client.get("/directory")
    assert response.status_code == 500
    assert b"secret internals" not in response.data
    assert b"Traceback" not in response.data
    assert view is not None and directory is not None
