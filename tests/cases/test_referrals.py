"""Referring a case to a partner (bot.cases.referrals) and the partner directory it chooses from (bot.cases.partners).

Referring moves the case to "referred" through the lifecycle and tells the person once, in their language,
which partner has their case; the partner's answers are dated; a decline hands the case back to the desk,
which may refer it again. A confidential report's referral is sealed and texts nobody.
"""

import pytest
from sqlalchemy import select

from bot.cases import partners, referrals
from bot.cases.lifecycle import Refused
from bot.cases.sealed import unseal
from bot.models import CaseEvent, Feedback, Message, Partner, StaffUser
from bot.notices import REFERRED
from bot.vocabulary import CaseStatus, Category, Kind, ReferralStatus
from tests import domain_support as rows


@pytest.fixture
def awa(db) -> StaffUser:
    return rows.staff(db, "awa@ong.ml", "triage")


@pytest.fixture
def wash(db) -> Partner:
    return partners.save(
        db, None, name="Eau Propre Mali", services=["water_sanitation"], sites=["niamana"], contact="+223 20 00 00 02"
    )


@pytest.fixture
def health(db) -> Partner:
    return partners.save(db, None, name="Santé Sahel", services=["health"], sites=[], contact="")


@pytest.fixture
def complaint(db, vault) -> Feedback:
    """A Bambara speaker's water complaint at Niamana, by SMS."""
    return rows.case(
        db, rows.person(db, vault, language="bm"), "Ji tɛ yen", language="bm", category=Category.WATER_SANITATION
    )


def texts_to(db, feedback: Feedback) -> list[str]:
    db.flush()
    return list(
        db.scalars(
            select(Message.text)
            .where(Message.contact_id == feedback.contact_id, Message.direction == "out")
            .order_by(Message.id)
        )
    )


def actions(db, feedback: Feedback) -> list[str]:
    db.flush()
    return list(db.scalars(select(CaseEvent.action).where(CaseEvent.feedback_id == feedback.id).order_by(CaseEvent.id)))


def test_referring_moves_the_case_and_tells_the_person_once_in_their_language(db, desk, awa, complaint, wash):
    sends = referrals.refer(db, complaint, awa, wash, "Forage en panne, bloc C", desk=desk)

    assert complaint.status == CaseStatus.REFERRED and complaint.first_response_at is not None
    [referral] = referrals.referrals_of(db, complaint)
    assert (referral.partner.name, referral.status, referral.note) == (
        "Eau Propre Mali",
        "sent",
        "Forage en panne, bloc C",
    )
    assert referral.created_at is not None and referral.created_by_id == awa.id
    expected = desk.catalogues.fill("bm", REFERRED, {"reference": complaint.reference, "partner": "Eau Propre Mali"})
    assert texts_to(db, complaint) == [desk.write(complaint, expected)]
    assert complaint.reference in expected and "Eau Propre Mali" in expected and "dira" in expected  # Bambara
    assert len(sends) == 1
    assert actions(db, complaint) == ["status_changed", "referred"]

    # The partner's answers are the desk's business: the person is not texted again.
    assert referrals.answer(db, complaint, referral.id, awa, "accepted", desk=desk) == []
    assert referrals.answer(db, complaint, referral.id, awa, "done", desk=desk) == []
    assert len(texts_to(db, complaint)) == 1
    assert complaint.status == CaseStatus.REFERRED  # resolving, with what was done, is still the desk's step


def test_the_partners_answers_follow_their_order_each_with_its_date(db, desk, awa, complaint, wash):
    referrals.refer(db, complaint, awa, wash, None, desk=desk)
    [referral] = referrals.referrals_of(db, complaint)
    with pytest.raises(Refused, match="cannot go from"):
        referrals.answer(db, complaint, referral.id, awa, "done", desk=desk)
    with pytest.raises(Refused, match="Unknown referral status"):
        referrals.answer(db, complaint, referral.id, awa, "lost", desk=desk)
    assert (referral.status, referral.accepted_at, referral.done_at) == ("sent", None, None)

    referrals.answer(db, complaint, referral.id, awa, "accepted", desk=desk)
    assert referral.status == "accepted" and referral.accepted_at >= referral.created_at
    assert referrals.status_at(referral) == referral.accepted_at
    referrals.answer(db, complaint, referral.id, awa, "done", desk=desk)
    assert referral.status == "done" and referral.done_at >= referral.accepted_at and referral.declined_at is None
    with pytest.raises(Refused):
        referrals.answer(db, complaint, referral.id, awa, "declined", desk=desk)
    assert actions(db, complaint)[-2:] == ["referral_answered", "referral_answered"]


def test_a_declined_case_comes_back_to_the_desk_and_may_be_referred_again(db, desk, awa, complaint, wash, health):
    referrals.refer(db, complaint, awa, wash, None, desk=desk)
    with pytest.raises(Refused, match="already with"):
        referrals.refer(db, complaint, awa, health, None, desk=desk)

    first = referrals.referrals_of(db, complaint)[0]
    referrals.answer(db, complaint, first.id, awa, ReferralStatus.DECLINED, desk=desk)
    assert first.declined_at is not None
    assert complaint.status == CaseStatus.IN_PROGRESS

    referrals.refer(db, complaint, awa, health, "Second essai", desk=desk)
    assert complaint.status == CaseStatus.REFERRED
    lines = referrals.lines(db, complaint, desk.vault)
    assert [(line.partner, line.status) for line in lines] == [("Eau Propre Mali", "declined"), ("Santé Sahel", "sent")]
    assert lines[0].answers == () and lines[1].answers == (ReferralStatus.ACCEPTED, ReferralStatus.DECLINED)
    # Each referral tells the person which partner has their case now.
    texts = texts_to(db, complaint)
    assert len(texts) == 2 and "Eau Propre Mali" in texts[0] and "Sant" in texts[1]
    # Only the latest referral takes answers.
    with pytest.raises(Refused):
        referrals.answer(db, complaint, first.id, awa, "accepted", desk=desk)
    # Lists and exports read the latest one.
    assert referrals.latest_referrals(db, [complaint.id])[complaint.id].partner.name == "Santé Sahel"


def test_a_confidential_referral_is_sealed_and_no_one_is_texted(db, desk, vault, complaint, wash):
    fanta = rows.staff(db, "fanta@ong.ml", "protection")
    report = rows.case(db, complaint.contact, "Le gardien me menace", kind=Kind.CONFIDENTIAL, vault=vault)
    protection = partners.save(db, None, name="Musow Lakana", services=["threat"], sites=[], contact="")

    sends = referrals.refer(db, report, fanta, protection, "Rendez-vous jeudi avec la juriste", desk=desk)

    assert sends == [] and texts_to(db, complaint) == [] and report.status == CaseStatus.REFERRED
    [referral] = referrals.referrals_of(db, report)
    assert referral.note is None and "juriste" not in referral.note_encrypted
    assert referrals.note_of(referral, vault) == "Rendez-vous jeudi avec la juriste"
    event = db.scalars(
        select(CaseEvent).where(CaseEvent.feedback_id == report.id, CaseEvent.action == "referred")
    ).one()
    assert event.detail is None and "Musow" not in event.detail_encrypted  # the partner's name too
    assert unseal(vault, event.detail, event.detail_encrypted)["partner"] == "Musow Lakana"


def test_only_an_active_partner_and_a_case_still_at_the_desk(db, desk, awa, complaint, wash):
    partners.set_active(wash, False)
    with pytest.raises(Refused, match="active partner"):
        referrals.refer(db, complaint, awa, wash, None, desk=desk)
    with pytest.raises(Refused, match="active partner"):
        referrals.refer(db, complaint, awa, None, None, desk=desk)
    partners.set_active(wash, True)
    complaint.status = CaseStatus.CLOSED
    with pytest.raises(Refused, match="reopen"):
        referrals.refer(db, complaint, awa, wash, None, desk=desk)
    assert referrals.referrals_of(db, complaint) == [] and texts_to(db, complaint) == []


def test_partners_serving_the_cases_category_and_site_come_first(db, complaint, wash, health):
    elsewhere = partners.save(db, None, name="Aaa Eau Gao", services=["water_sanitation"], sites=["gao"], contact="")
    everywhere = partners.save(db, None, name="Zzz Eau Partout", services=["water_sanitation"], sites=[], contact="")
    gone = partners.save(db, None, name="Ancien partenaire", services=["water_sanitation"], sites=[], contact="")
    partners.set_active(gone, False)

    offered = [(choice.partner.name, choice.suggested) for choice in partners.choices(db, complaint)]

    assert offered == [
        ("Eau Propre Mali", True),
        (everywhere.name, True),
        (elsewhere.name, False),
        (health.name, False),
    ]


def test_the_directory_refuses_what_it_cannot_use(db, wash):
    def save(**fields):
        values = {"name": "Clinique juridique", "services": ["documents"], "sites": [], "contact": ""} | fields
        return partners.save(db, None, **values)

    with pytest.raises(Refused, match="name"):
        save(name="   ")
    with pytest.raises(Refused, match="at least one service"):
        save(services=[])
    with pytest.raises(Refused, match="Unknown service"):
        save(services=["documents", "magic"])
    with pytest.raises(Refused, match="Unknown site"):
        save(sites=["atlantis"])
    with pytest.raises(Refused, match="already in the directory"):
        save(name="EAU propre   MALI")
    kept = save(name="  Clinique   juridique ", services=["security", "documents"], sites=["gao", "niamana"])
    assert kept.name == "Clinique juridique" and kept.services == ["security", "documents"]  # the vocabulary's order
    assert [site.slug for site in kept.sites] == ["niamana", "gao"]
    assert partners.directory(db)[0].name == "Clinique juridique"
