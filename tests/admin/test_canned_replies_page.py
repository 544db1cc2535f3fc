"""An admin keeps the canned replies staff start from: a title per interface language, the text per language of
the line, blanks allowed and explained; added, edited, deleted; other roles get the 403 page."""

from html import unescape

import pytest
from sqlalchemy import select

from bot.models import CannedReply
from tests.admin_support import csrf_of, log_in, make_staff

PAGE = "/admin/canned-replies"
COME = {
    "title_fr": "Venez au bureau",
    "title_en": "Come to the office",
    "text_fr": "Merci de passer au bureau du site le {date}.",
    "text_bm": "Aw ye na biro la {date}.",
}


@pytest.fixture
def admin(client, runtime):
    make_staff(runtime, "admin@ong.ml", "admin")
    log_in(client, "admin@ong.ml")


def _post(client, path: str, form: dict, page: str = PAGE):
    return client.post(path, data={"csrf": csrf_of(client.get(page).text), **form}, follow_redirects=False)


def _replies(runtime) -> list[CannedReply]:
    with runtime.database() as db:
        return list(db.scalars(select(CannedReply).order_by(CannedReply.id)))


def test_an_admin_adds_a_reply_with_a_title_per_interface_language_and_a_text_per_language(client, runtime, admin):
    page = unescape(client.get(PAGE).text)
    assert "Aucune réponse type pour l'instant." in page
    assert "la réponse ne peut pas être envoyée tant qu'un blanc reste à remplir" in page  # blanks explained
    assert 'id="text_fr"' in page and 'id="text_bm"' in page and 'id="title_en"' in page

    assert _post(client, PAGE, COME).status_code == 303

    [reply] = _replies(runtime)
    assert reply.titles == {"fr": "Venez au bureau", "en": "Come to the office"}
    assert reply.texts == {"fr": COME["text_fr"], "bm": COME["text_bm"]}
    assert reply.title == "Venez au bureau"
    listing = unescape(client.get(PAGE).text)
    assert "Réponse type ajoutée : Venez au bureau." in listing  # said once, after the redirect
    assert "Réponse type ajoutée" not in unescape(client.get(PAGE).text)
    assert "Venez au bureau" in listing and "Come to the office" not in listing
    client.cookies.set("lang", "en")
    assert "Come to the office" in client.get(PAGE).text


def test_a_reply_is_edited_and_deleted(client, runtime, admin):
    _post(client, PAGE, COME)
    [reply] = _replies(runtime)
    path = f"{PAGE}/{reply.id}"
    edit = client.get(path).text
    assert "Aw ye na biro la {date}." in edit

    saved = _post(client, path, {**COME, "text_bm": "", "text_fr": "Passez au bureau le ... à ... heures."}, path)
    assert saved.status_code == 303
    [reply] = _replies(runtime)
    assert reply.texts == {"fr": "Passez au bureau le ... à ... heures."}
    assert "pas de texte en Bamanankan" in unescape(client.get(PAGE).text)

    assert _post(client, f"{path}/delete", {}, path).status_code == 303
    assert _replies(runtime) == []
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    ("form", "says", "kept"),
    [
        ({**COME, "title_fr": "", "title_en": " "}, "Donnez un titre à la réponse", COME["text_bm"]),
        ({**COME, "text_fr": "", "text_bm": ""}, "Écrivez le texte de la réponse dans au moins une langue.", "Venez"),
        ({**COME, "title_fr": "x" * 121}, "Un titre a au plus 120 caractères.", COME["text_bm"]),
    ],
)
def test_an_unusable_reply_is_refused_in_french_and_keeps_what_was_typed(client, runtime, admin, form, says, kept):
    refused = _post(client, PAGE, form)
    assert refused.status_code == 400
    assert says in unescape(refused.text)
    assert kept in refused.text
    assert _replies(runtime) == []


@pytest.mark.parametrize("role", ["triage", "protection", "organizer"])
def test_other_roles_get_the_403_page(client, runtime, role):
    make_staff(runtime, "someone@ong.ml", role)
    log_in(client, "someone@ong.ml")
    csrf = csrf_of(client.get("/admin/login").text)
    for response in (client.get(PAGE), client.post(PAGE, data={**COME, "csrf": csrf})):
        assert response.status_code == 403
        assert response.headers["content-type"].startswith("text/html") and 'role="alert"' in response.text
    assert _replies(runtime) == []
