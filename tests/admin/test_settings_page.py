"""An admin reads the settings that shape the work (response targets, paces, languages, assemblies, time zone),
each beside the variable that sets it, and never a secret."""

import json
from html import unescape

import pytest

from tests.admin_support import log_in, make_staff

PAGE = "/admin/settings"
SECRET = "s3cret-value-never-shown"


@pytest.fixture
def configured(reconfigure):
    """A deployment with its own targets and paces, and secrets that must stay off the page."""
    reconfigure(
        ACKNOWLEDGE_HOURS="36",
        RESOLVE_DAYS="10",
        RESPONSE_TARGETS=json.dumps({"need": {"acknowledge_hours": 24, "resolve_days": 7}}),
        PROTECTION_DEADLINE_HOURS="12",
        SMS_PER_SECOND="2.5",
        BROADCAST_QUIET_HOURS="22:00-06:30",
        ASSEMBLY_REMINDER_HOURS="24,0.5",
        PROTECTION_ALERT_NUMBERS="+22370000001,+22370000002",
        GATEWAY_TOKEN=SECRET,
        GATEWAY_SECRET=SECRET,
        WHATSAPP_TEMPLATE_SID=SECRET,
    )


def _row(page: str, marker: str) -> str:
    start = page.index(marker)
    return page[start : page.index("</tr>", start)]


def test_an_admin_reads_the_settings_that_shape_the_work_and_no_secret(configured, client, runtime, settings):
    make_staff(runtime, "admin@ong.ml", "admin")
    log_in(client, "admin@ong.ml")
    response = client.get(PAGE)
    assert response.status_code == 200
    page = unescape(response.text)

    assert "un cas reçoit un accusé de réception sous 36 heures et est résolu sous 10 jours" in page
    need = _row(page, 'data-kind="need"')
    assert "24 heures" in need and "7 jours" in need and "délai propre" in need
    assert "12 heures" in _row(page, 'data-kind="confidential"')
    assert "pas de délai" in _row(page, 'data-kind="assembly"')
    for said in ("2,5 par seconde", "22:00-06:30", "24 heures, 0,5 heures", "Bamanankan", "Africa/Bamako"):
        assert said in page, said
    # The alphabets by default: SMS chooses per message, WhatsApp and USSD send as written.
    for value, variable in (
        ("à chaque message : tel qu'écrit, ou en GSM-7 quand cela coûte moins de parties de SMS", "SMS_ALPHABET"),
        ("tel qu'écrit", "WHATSAPP_ALPHABET"),
        ("tel qu'écrit", "USSD_ALPHABET"),
    ):
        assert f'<dd>{value} <code class="muted">{variable}</code></dd>' in page, variable
    for variable in ("SMS_PER_SECOND", "WHATSAPP_PER_SECOND", "BULK_SLICE_SECONDS", "LANGUAGES", "TIMEZONE"):
        assert f'<code class="muted">{variable}</code>' in page, variable

    for secret in (SECRET, settings.secret_key, settings.twilio_auth_token, settings.database_url, settings.redis_url):
        assert secret not in page
    assert "+22370000001" not in page  # the focal points' numbers are personal data: only their count


@pytest.mark.parametrize("role", ["triage", "protection", "organizer"])
def test_other_roles_get_the_403_page(client, runtime, role):
    make_staff(runtime, "someone@ong.ml", role)
    log_in(client, "someone@ong.ml")
    response = client.get(PAGE)
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html") and 'role="alert"' in response.text
