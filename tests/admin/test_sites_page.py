"""An admin keeps the sites: adds one (its code from its name), renames it, moves it in the phone menu,
deactivates it (gone from the menu and from new coding, kept by its cases) and reactivates it."""

from html import unescape

import pytest
from sqlalchemy import select

from bot.menus.base import MenuContext
from bot.menus.sites import load
from bot.models import Site
from tests.admin_support import csrf_of, log_in, make_staff

PAGE = "/admin/sites"


@pytest.fixture
def admin(client, runtime):
    make_staff(runtime, "admin@ong.ml", "admin")
    log_in(client, "admin@ong.ml")


def _post(client, path: str, form: dict):
    return client.post(path, data={"csrf": csrf_of(client.get(PAGE).text), **form}, follow_redirects=False)


def _site(runtime, slug: str) -> Site | None:
    with runtime.database() as db:
        return db.scalar(select(Site).where(Site.slug == slug))


def _phone_menu(runtime) -> list[str]:
    """The sites a person is offered on the phone, in order."""
    with runtime.database() as db:
        return [choice.label for choice in load(MenuContext(db=db, contact=None, catalogues=None))]


def test_an_added_site_gets_a_code_from_its_name_and_comes_last_in_the_phone_menu(client, runtime, admin):
    assert _post(client, PAGE, {"name": "  Sénou  Koro ", "region": "Bamako"}).status_code == 303
    site = _site(runtime, "senou-koro")
    assert (site.name, site.region, site.active) == ("Sénou Koro", "Bamako", True)
    assert _phone_menu(runtime)[-1] == "Sénou Koro"
    assert "Site ajouté : Sénou Koro." in unescape(client.get(PAGE).text)

    twice = _post(client, PAGE, {"name": "sénou koro", "region": "Bamako"})
    assert twice.status_code == 400 and "Un autre site porte déjà ce nom." in unescape(twice.text)
    assert _post(client, PAGE, {"name": "Sénou-Koro", "region": "Bamako"}).status_code == 303
    assert _site(runtime, "senou-koro-2").name == "Sénou-Koro"  # a code is never taken twice

    empty = _post(client, PAGE, {"name": "Nowhere", "region": ""})
    assert empty.status_code == 400 and "Donnez le nom du site et sa région." in unescape(empty.text)


def test_a_site_is_renamed_and_moved_up_in_the_phone_menu(client, runtime, admin):
    gao = _site(runtime, "gao")
    assert _post(client, f"{PAGE}/{gao.id}", {"name": "Gao ville", "region": "Gao"}).status_code == 303
    assert _site(runtime, "gao").name == "Gao ville"  # its code stays

    before = _phone_menu(runtime)
    assert before[-2:] == ["Mopti", "Gao ville"]
    _post(client, f"{PAGE}/{gao.id}/move", {"direction": "up"})
    assert _phone_menu(runtime)[-2:] == ["Gao ville", "Mopti"]
    first = _site(runtime, "niamana")
    _post(client, f"{PAGE}/{first.id}/move", {"direction": "up"})  # already first: nothing moves
    assert _phone_menu(runtime)[0] == "Niamana"


def test_a_deactivated_site_leaves_the_menus_and_comes_back(client, runtime, admin):
    mopti = _site(runtime, "mopti")
    assert _post(client, f"{PAGE}/{mopti.id}/active", {"active": "0"}).status_code == 303
    assert "Mopti" not in _phone_menu(runtime)
    assert not _site(runtime, "mopti").active
    listing = unescape(client.get(PAGE).text)
    assert "désactivé" in listing and "Mopti" in listing  # still listed, for admins to bring back
    assert 'value="mopti"' not in client.get("/admin/users").text  # not offered for new accounts either

    _post(client, f"{PAGE}/{mopti.id}/active", {"active": "1"})
    assert "Mopti" in _phone_menu(runtime)


def test_an_unknown_site_is_a_404_page(client, admin):
    assert client.get(f"{PAGE}/999999").status_code == 404
    assert "Ce site n'existe pas." in unescape(client.get(f"{PAGE}/abc").text)


@pytest.mark.parametrize("role", ["triage", "protection", "organizer"])
def test_other_roles_get_the_403_page(client, runtime, role):
    make_staff(runtime, "someone@ong.ml", role)
    log_in(client, "someone@ong.ml")
    mopti = _site(runtime, "mopti")
    csrf = csrf_of(client.get("/admin/login").text)
    for response in (client.get(PAGE), client.post(f"{PAGE}/{mopti.id}/active", data={"csrf": csrf, "active": "0"})):
        assert response.status_code == 403
        assert response.headers["content-type"].startswith("text/html") and 'role="alert"' in response.text
    assert _site(runtime, "mopti").active
