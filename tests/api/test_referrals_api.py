"""/api/v1 gives each case's latest referral: the partner, its status and when it reached it; null before."""

from datetime import datetime

from bot.cases import partners, referrals
from bot.cases.lifecycle import Desk
from bot.db import transaction
from bot.models import Feedback, StaffUser
from tests.admin.test_inbox_page import add_contact, add_feedback
from tests.api.test_feedback_api import token_for


def test_the_referral_is_null_until_referred_then_names_the_partner_and_its_status(client, runtime):
    referred, untouched = add_feedback(runtime, add_contact(runtime, "+22376543201"), 2, site="niamana")
    headers = token_for(runtime, "awa@ong.ml", "triage")
    assert client.get(f"/api/v1/feedback/{referred}", headers=headers).json()["referral"] is None

    desk = Desk(runtime.catalogues, runtime.settings, runtime.vault)
    with transaction(runtime.database) as db:
        partner = partners.save(db, None, name="Eau Propre Mali", services=["water_sanitation"], sites=[], contact="")
        case = db.query(Feedback).filter_by(reference=referred).one()
        awa = db.query(StaffUser).filter_by(email="awa@ong.ml").one()
        referrals.refer(db, case, awa, partner, None, desk=desk)
        [referral] = referrals.referrals_of(db, case)
        referrals.answer(db, case, referral.id, awa, "accepted", desk=desk)
        accepted_at = referral.accepted_at

    item = client.get(f"/api/v1/feedback/{referred}", headers=headers).json()
    assert item["status"] == "referred"
    assert item["referral"] == {"partner": "Eau Propre Mali", "status": "accepted", "at": item["referral"]["at"]}
    assert datetime.fromisoformat(item["referral"]["at"].replace("Z", "+00:00")) == accepted_at
    listed = {
        entry["reference"]: entry["referral"]
        for entry in client.get("/api/v1/feedback", headers=headers).json()["items"]
    }
    assert listed == {referred: item["referral"], untouched: None}
