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


def test_nul_characters_are_refused_before_any_view(client, app):
    """PostgreSQL cannot take a NUL in text; every way in answers 400 naming the field."""
    answers = [
        (client.get("/hsds/organizations", query_string={"search": "a\x00b"}), "search"),
        (client.get("/api/v1/services", query_string={"q": "\x00"}), "q"),
        (client.post("/api/v1/match", json={"near": "87110", "needs": ["x\x00"]}), "needs"),
        (client.post("/api/v1/match", json={"ne\x00ar": "87110"}), "ne\x00ar"),
    ]
    for response, field in answers:
        assert response.status_code == 400
        assert response.get_json()["error"] == {
            "code": "bad-request",
            "message": f"The value of {field!r} contains a NUL character.",
            "field": field,
        }
    page = client.get("/directory", query_string={"q": "crisis\x00"})
    assert page.status_code == 400 and page.mimetype == "text/html"
    assert b"NUL character" in page.data and b"Traceback" not in page.data
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        login = client.post("/login", data={"email": "a\x00@example.org", "password": "x"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = True
    assert login.status_code == 400


def test_ordinary_text_passes_the_nul_check(client):
    response = client.get("/hsds/organizations", query_string={"search": "crisis ñ 𝔘"})
    assert response.status_code == 200
