"""One error style: whatever goes wrong under the staff pages, a browser gets a page in the base layout, in the
reader's interface language (French by default), with the right status; the API gets JSON; `/` leads to /admin."""

from html import unescape

import pytest
from fastapi import HTTPException
from fastapi.testclient import TestClient

from tests.admin_support import csrf_of, log_in, make_staff


def _page(response, status: int, *texts: str) -> str:
    """The response is an HTML page of the base layout with `status`, saying each of `texts`."""
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith("text/html")
    text = unescape(response.text)
    assert '<main id="content">' in text and 'role="alert"' in text
    for said in texts:
        assert said in text, said
    return text


def _json(response, status: int) -> dict:
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"] == "application/json"
    return response.json()


@pytest.fixture
def broken(app):
    """Routes that fail on purpose, under /admin and /api: what any page that fails this way answers."""

    def boom():
        raise RuntimeError("a bug")

    def refused():
        raise HTTPException(status_code=400, detail="an English reason nobody translated")

    def typed(number: int):
        return {"number": number}

    for prefix in ("/admin/broken", "/api/v1/broken"):
        app.get(f"{prefix}/boom")(boom)
        app.get(f"{prefix}/refused")(refused)
        app.get(f"{prefix}/typed")(typed)
    return app


def test_an_organizer_opening_the_dashboard_gets_the_french_403_page(client, runtime):
    make_staff(runtime, "moussa@ong.ml", "organizer")
    log_in(client, "moussa@ong.ml")
    page = _page(client.get("/admin/dashboard"), 403, "Votre compte n'a pas accès à la boîte de réception.")
    assert '<html lang="fr">' in page
    assert 'href="/admin/assemblies"' in page  # the organizer's own menu, to go on from there


def test_an_unknown_admin_address_is_a_french_404_page_signed_in_or_not(client, runtime):
    _page(client.get("/admin/nothing/here"), 404, "Page introuvable", "Il n'y a pas de page à cette adresse.")
    make_staff(runtime, "awa@ong.ml", "triage")
    log_in(client, "awa@ong.ml")
    _page(client.get("/admin/nothing/here"), 404, "Page introuvable")


def test_a_wrong_method_is_a_french_405_page_that_still_says_what_is_allowed(client):
    response = client.get("/admin/logout")
    _page(response, 405, "Cette page ne s'utilise pas ainsi")
    assert response.headers["allow"] == "POST"


def test_a_form_without_its_token_is_a_french_403_page_saying_to_reload(client, runtime):
    make_staff(runtime, "awa@ong.ml", "triage")
    client.get("/admin/login")
    response = client.post("/admin/login", data={"email": "awa@ong.ml", "password": "x", "csrf": "forged"})
    _page(response, 403, "rechargez la page")


def test_a_form_too_large_is_a_french_413_page(client, settings):
    csrf = csrf_of(client.get("/admin/login").text)
    response = client.post("/admin/login", data={"csrf": csrf, "padding": "x" * settings.staff_max_body_bytes})
    _page(response, 413, "Formulaire trop volumineux", f"{settings.staff_max_body_bytes // 1024} Ko au plus")
    assert response.headers["content-security-policy"]  # still a guarded staff answer


def test_bad_input_and_bugs_are_french_pages_never_english_json(broken):
    with TestClient(broken, raise_server_exceptions=False) as client:
        _page(client.get("/admin/broken/refused"), 400, "Demande incomprise")
        _page(client.get("/admin/broken/typed?number=deux"), 422, "Formulaire incompris")
        crashed = _page(client.get("/admin/broken/boom"), 500, "Une erreur s'est produite")
    assert "a bug" not in crashed and "Traceback" not in crashed


def test_the_page_speaks_the_interface_language_the_reader_chose(client):
    client.cookies.set("lang", "en")
    page = _page(client.get("/admin/nothing"), 404, "Page not found")
    assert '<html lang="en">' in page


def test_the_api_keeps_answering_json(broken, runtime):
    with TestClient(broken, raise_server_exceptions=False) as client:
        assert _json(client.get("/api/v1/nothing"), 404) == {"detail": "Not Found"}
        assert _json(client.get("/api/v1/feedback"), 401)["detail"]
        assert _json(client.post("/api/v1/feedback"), 405) == {"detail": "Method Not Allowed"}
        assert _json(client.get("/api/v1/broken/refused"), 400) == {"detail": "an English reason nobody translated"}
        assert _json(client.get("/api/v1/broken/typed?number=deux"), 422)["detail"][0]["loc"] == ["query", "number"]
        assert _json(client.get("/api/v1/broken/boom"), 500) == {"detail": "Internal Server Error"}


def test_the_root_leads_to_the_staff_pages(client):
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/admin"
    assert client.get("/").url.path == "/admin/login"
