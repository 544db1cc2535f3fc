"""The partner directory at /admin/partners: admins add, edit, deactivate and reactivate partners; nobody else
reaches it."""

import re

import pytest

from tests.admin.test_case_page import fold, text_of
from tests.admin_support import csrf_of, log_in, make_staff

PAGE = "/admin/partners"


@pytest.fixture
def admin(client, runtime):
    make_staff(runtime, "admin@ong.ml", "admin")
    log_in(client, "admin@ong.ml")
    client.cookies.set("lang", "en")
    return client


def post(client, path: str, **data):
    token = csrf_of(client.get("/admin/login").text)
    return client.post(path, data={"csrf": token, **data}, follow_redirects=False)


def row(client, name: str) -> str:
    found = re.search(rf'<tr data-partner="{name}">.*?</tr>', client.get(PAGE).text, re.S)
    return fold(found.group(0)) if found else ""


def partner_id(client, name: str) -> str:
    return re.search(rf'<tr data-partner="{name}">\s*<td><a href="/admin/partners/(\d+)"', client.get(PAGE).text).group(
        1
    )


def test_an_admin_adds_edits_deactivates_and_reactivates_a_partner(admin):
    assert 'href="/admin/partners"' in admin.get("/admin").text  # in the admin's menu

    added = post(
        admin,
        PAGE,
        name="Eau Propre Mali",
        services=["water_sanitation", "shelter"],
        sites=["niamana"],
        contact="Moussa · +223 20 00 00 02",
    )
    assert added.status_code == 303
    shown = text_of(admin.get(PAGE))
    assert "Eau Propre Mali is saved in the directory." in shown
    assert row(admin, "Eau Propre Mali") == (
        "Eau Propre Mali Shelter, Water and sanitation Niamana Moussa · +223 20 00 00 02 active Deactivate"
    )

    pid = partner_id(admin, "Eau Propre Mali")
    edit_page = admin.get(f"{PAGE}/{pid}")
    assert edit_page.status_code == 200 and 'value="Eau Propre Mali"' in edit_page.text
    assert 'value="niamana" checked' in edit_page.text and 'value="water_sanitation" checked' in edit_page.text
    assert (
        post(admin, f"{PAGE}/{pid}", name="Eau Propre Mali", services=["water_sanitation"], contact="").status_code
        == 303
    )
    assert row(admin, "Eau Propre Mali") == "Eau Propre Mali Water and sanitation every site – active Deactivate"

    assert post(admin, f"{PAGE}/{pid}/active", active="0").status_code == 303
    shown = text_of(admin.get(PAGE))
    assert "Eau Propre Mali is no longer offered for referrals." in shown
    assert row(admin, "Eau Propre Mali").endswith("deactivated Reactivate")
    post(admin, f"{PAGE}/{pid}/active", active="1")
    assert row(admin, "Eau Propre Mali").endswith("active Deactivate")


def test_what_cannot_be_saved_is_said_and_the_form_kept(admin):
    refused = post(admin, PAGE, name="", services=["health"], contact="Dr Traoré")
    assert refused.status_code == 400 and 'role="alert"' in refused.text
    assert "Give the organisation&#39;s name." in refused.text and "Dr Traoré" in refused.text
    assert 'value="health" checked' in refused.text

    post(admin, PAGE, name="Santé Sahel", services=["health"])
    again = post(admin, PAGE, name="santé sahel", services=["health"])
    assert again.status_code == 400 and "already in the directory" in again.text
    assert post(admin, PAGE, name="X", services=["magic"]).status_code == 400
    assert post(admin, PAGE, name="X", services=["health"], sites=["atlantis"]).status_code == 400

    pid = partner_id(admin, "Santé Sahel")
    assert post(admin, f"{PAGE}/{pid}", name="Santé Sahel", contact="x" * 501, services=["health"]).status_code == 400
    for missing in (f"{PAGE}/999999", f"{PAGE}/abc", f"{PAGE}/²"):
        assert admin.get(missing).status_code == 404
    assert post(admin, f"{PAGE}/999999/active", active="0").status_code == 404


@pytest.mark.parametrize("role", ["triage", "protection", "organizer"])
def test_other_roles_get_403(client, runtime, role):
    make_staff(runtime, "admin@ong.ml", "admin")
    log_in(client, "admin@ong.ml")
    post(client, PAGE, name="Santé Sahel", services=["health"])
    pid = partner_id(client, "Santé Sahel")
    client.cookies.clear()

    make_staff(runtime, f"{role}@ong.ml", role)
    log_in(client, f"{role}@ong.ml")
    assert client.get(PAGE).status_code == 403
    assert client.get(f"{PAGE}/{pid}").status_code == 403
    assert post(client, PAGE, name="Mon ONG", services=["health"]).status_code == 403
    assert post(client, f"{PAGE}/{pid}/active", active="0").status_code == 403
    assert 'href="/admin/partners"' not in client.get("/admin", follow_redirects=True).text
