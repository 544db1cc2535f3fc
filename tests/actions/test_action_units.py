"""The actions flows may `do` (bot.actions), each carried out against the real database.

Like goflow's actions/base_test.go: `CASES` maps every registered action to the cases that specify it.
Each case starts from a consenting French speaker who has just sent a message (stored, as the webhook
stores it), carries the action out through its `ActionUnit`, with the values the engine would give it
(the person's facts and the flow's variables), and checks what the person or the staff would notice.
After every case, the facts the engine assumed the action would leave (`spec.facts`) must be the
person's facts as stored: the rest of the turn and the next one see the same person.

Registering an action without a case here fails `test_every_registered_action_has_a_case`.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.actions import ACTIONS
from bot.actions.base import ActionContext
from bot.actions.status_texts import ASSEMBLY_CALLED_OFF, NOT_FOUND, SIGNUP_STATUS, STATUS, STATUS_WITH_OUTCOME
from bot.assemblies import texts
from bot.cases.lifecycle import Desk
from bot.config import Settings
from bot.conversation.conversations import site_confirmed
from bot.db import transaction
from bot.engine.interpreter import Action
from bot.i18n import Filled
from bot.models import Assembly, AssemblyInterest, Contact, Feedback, Message, Signup, utcnow
from bot.vault import Vault
from bot.vocabulary import CATEGORIES, Callback, CaseStatus, Consent, Direction, Kind, Lane, MessageStatus
from tests import domain_support as rows

SITE_CONFIRM_DAYS = Settings.model_fields["site_confirm_days"].default


def facts_of(contact: Contact) -> dict[str, Any]:
    """What the engine knows of a person, as the conversation reads it from their contact."""
    return {
        "language": contact.language,
        "consent": contact.consent == Consent.ACCEPTED,
        "site": contact.site.slug if contact.site else None,
        "site_name": contact.site.name if contact.site else None,
        "site_confirmed": site_confirmed(contact, SITE_CONFIRM_DAYS),
        "opted_out": contact.opted_out_at is not None,
    }


@dataclass
class Scene:
    """A person who has just sent a message, and the action under test."""

    name: str
    db: Any
    vault: Vault
    contact: Contact
    inbound: Message
    context: ActionContext
    done: list[Action] = field(default_factory=list)

    def carry_out(self, arg: str | None = None, **variables) -> dict:
        """Carry the action out as the engine emits it; the values its replies may quote."""
        self.db.flush()
        self.db.expire(self.contact, ["site"])  # a case may have set `site_id` just before
        action = Action(self.name, arg, {**facts_of(self.contact), **variables})
        ACTIONS[self.name].carry_out(self.context, action)
        self.db.flush()
        self.done.append(action)
        return self.context.outcome.values

    def someone_else(self, phone: str = "+22370000099") -> Contact:
        return rows.person(self.db, self.vault, phone)

    def feedback(self) -> list[Feedback]:
        """The person's submissions, oldest first."""
        query = select(Feedback).where(Feedback.contact_id == self.contact.id).order_by(Feedback.id)
        return list(self.db.scalars(query))

    def assembly(self, site: str = "sogoniko", capacity: int | None = 60) -> Assembly:
        assembly = self.db.scalars(select(Assembly).join(Assembly.site).where(rows.Site.slug == site)).one()
        assembly.capacity = capacity
        return assembly


# --- set_language ----------------------------------------------------------------------------------


def the_chosen_language_is_theirs_from_now_on(scene: Scene):
    scene.carry_out(language="bm")
    assert scene.contact.language == "bm"


# --- accept_consent --------------------------------------------------------------------------------


def accepting_is_remembered_with_its_time(scene: Scene):
    scene.contact.consent = scene.contact.consent_at = None
    before = utcnow()
    scene.carry_out(consent="yes")
    assert scene.contact.consent == Consent.ACCEPTED and scene.contact.consent_at >= before


# --- refuse_consent --------------------------------------------------------------------------------


def refusing_keeps_the_refusal_and_nothing_else_about_the_person(scene: Scene):
    db, contact = scene.db, scene.contact
    contact.site_id = rows.site(db, "niamana").id
    said = rows.message(db, contact, "Je m'appelle Awa, au bloc C", media=["https://media.example/1"])
    secret = rows.message(db, contact, "Mon voisin me frappe", vault=scene.vault, confidential=True)
    answered = rows.message(db, contact, "Bienvenue", direction=Direction.OUT, status=MessageStatus.REPLIED)
    other = rows.message(db, scene.someone_else(), "Bonjour, je suis Issa")

    scene.carry_out(consent="no")

    db.expire_all()
    assert contact.consent == Consent.REFUSED and contact.consent_at is not None
    assert (contact.phone_encrypted, contact.language, contact.site_id, contact.site_confirmed_at) == (None,) * 4
    for message in (said, secret, scene.inbound):
        assert (message.text, message.text_encrypted, message.media, message.redacted) == (None, None, None, True)
    assert (answered.text, answered.redacted) == ("Bienvenue", False)  # baro's own words
    assert (other.text, other.redacted) == ("Bonjour, je suis Issa", False)  # someone else's


# --- set_site --------------------------------------------------------------------------------------


def the_chosen_site_is_remembered_for_the_next_reports(scene: Scene):
    scene.carry_out(site="senou", site_name="Sénou")
    assert scene.contact.site_id == rows.site(scene.db, "senou").id
    scene.carry_out(site="gao", site_name="Gao")
    assert scene.contact.site_id == rows.site(scene.db, "gao").id


def choosing_a_site_confirms_it_for_site_confirm_days(scene: Scene):
    before = utcnow()
    scene.carry_out(site="senou", site_name="Sénou")
    assert scene.contact.site_confirmed_at >= before


# --- confirm_site ----------------------------------------------------------------------------------


def still_there_confirms_the_site_again_and_keeps_it(scene: Scene):
    scene.contact.site_id = rows.site(scene.db, "senou").id
    scene.contact.site_confirmed_at = utcnow() - timedelta(days=SITE_CONFIRM_DAYS + 1)
    before = utcnow()
    scene.carry_out()
    assert scene.contact.site_confirmed_at >= before
    assert scene.contact.site_id == rows.site(scene.db, "senou").id


# --- opt_out, opt_in -------------------------------------------------------------------------------


def after_stop_the_person_is_sent_nothing_more(scene: Scene):
    before = utcnow()
    scene.carry_out()
    assert scene.contact.opted_out_at >= before


def after_start_messages_resume(scene: Scene):
    scene.contact.opted_out_at = utcnow() - timedelta(days=2)
    scene.carry_out()
    assert scene.contact.opted_out_at is None


# --- submit ----------------------------------------------------------------------------------------


def a_complaint_is_filed_with_a_fresh_reference(scene: Scene):
    scene.contact.site_id = rows.site(scene.db, "niamana").id
    values = scene.carry_out("complaint", category="water_sanitation", text="Les latrines débordent")

    (complaint,) = scene.feedback()
    assert (complaint.kind, complaint.category, complaint.site.slug) == ("complaint", "water_sanitation", "niamana")
    assert (complaint.text, complaint.text_encrypted, complaint.confidential) == ("Les latrines débordent", None, False)
    assert (complaint.language, complaint.channel, complaint.message_id) == ("fr", "sms", scene.inbound.id)
    assert (complaint.status, complaint.ready_at) == (CaseStatus.NEW, None)  # the intake job puts it in triage
    assert values["reference"] == complaint.reference
    assert scene.context.outcome.feedback_ids == [complaint.id]
    assert scene.context.outcome.confidential is False


def a_need_is_filed_at_the_site_chosen_in_the_flow(scene: Scene):
    scene.inbound.channel = "ussd"
    scene.contact.language = "bm"
    scene.carry_out("need", category="livelihoods", site="senou", text="Baara tɛ yen")
    (need,) = scene.feedback()
    assert (need.kind, need.category, need.site.slug, need.text) == ("need", "livelihoods", "senou", "Baara tɛ yen")
    assert (need.language, need.channel) == ("bm", "ussd")


def a_confidential_report_is_kept_only_encrypted(scene: Scene):
    values = scene.carry_out(
        "confidential",
        category="violence",
        text="Mon voisin me frappe la nuit",
        callback="other",
        callback_details="Le soir, au 76 00 00 00",
    )
    (report,) = scene.feedback()
    assert (report.kind, report.confidential, report.category, report.callback) == (
        "confidential",
        True,
        "violence",
        "other",
    )
    assert report.text is None
    assert scene.vault.decrypt(report.text_encrypted) == "Mon voisin me frappe la nuit"
    assert scene.vault.decrypt(report.callback_details_encrypted) == "Le soir, au 76 00 00 00"
    assert values["reference"] == report.reference
    assert scene.context.outcome.confidential is True  # nothing about it may go out by text


def a_confidential_report_may_say_nothing_more_than_what_happened(scene: Scene):
    scene.carry_out("confidential", category="threat", text="", callback="no")
    (report,) = scene.feedback()
    assert (report.text, report.text_encrypted, report.callback_details_encrypted) == (None, None, None)
    assert (report.category, report.callback) == ("threat", "no")


def each_submission_gets_its_own_reference(scene: Scene):
    first = scene.carry_out("complaint", category="food", text="Pas de vivres")["reference"]
    second = scene.carry_out("need", category="food", text="Du riz")["reference"]
    assert first != second
    assert [f.reference for f in scene.feedback()] == [first, second]
    assert scene.context.outcome.values["reference"] == second  # the reply quotes the latest


# --- sign_up ---------------------------------------------------------------------------------------


def signed_up(scene: Scene) -> list[Signup]:
    return list(scene.db.scalars(select(Signup).where(Signup.contact_id == scene.contact.id)))


def told(values: dict, text, assembly: Assembly) -> bool:
    """The answer is `text` about `assembly`: its title, day and time (and place, for a place) are quoted."""
    found = values["signup"]
    return (
        isinstance(found, Filled)
        and found.text == text
        and (found.params["title"], found.params["when"]) == (assembly.title, assembly.starts_at)
        and found.params["reference"] == values["reference"]
        and (text != texts.SIGNED_UP or found.params["place"] == assembly.place)
    )


def a_place_at_an_assembly_with_room_is_confirmed(scene: Scene):
    assembly = scene.assembly("sogoniko")
    values = scene.carry_out("confirmed", assembly=str(assembly.id))

    (signup,) = signed_up(scene)
    (submission,) = scene.feedback()
    assert (signup.assembly_id, signup.status, signup.feedback_id) == (assembly.id, "confirmed", submission.id)
    assert (submission.kind, submission.category, submission.site.slug, submission.text) == (
        "assembly",
        "confirmed",
        "sogoniko",
        assembly.title,
    )
    assert values["reference"] == submission.reference
    assert told(values, texts.SIGNED_UP, assembly)
    assert signup.told_at is not None  # the cancel keyword works from now on


def the_answer_quotes_the_title_in_the_persons_language(scene: Scene):
    assembly = scene.assembly("sogoniko")
    assembly.titles = {"fr": "Assemblée de Sogoniko", "bm": "Sogoniko lajɛ"}
    scene.contact.language = "bm"
    assert scene.carry_out("confirmed", assembly=str(assembly.id))["signup"].params["title"] == "Sogoniko lajɛ"


def a_full_assembly_puts_the_person_on_its_waiting_list(scene: Scene):
    assembly = scene.assembly("niamana", capacity=1)
    other = scene.someone_else()
    first = rows.case(scene.db, other, "Assemblée", kind="assembly", category="attended")
    scene.db.add(Signup(assembly_id=assembly.id, contact_id=other.id, feedback_id=first.id, status="attended"))

    values = scene.carry_out("confirmed", assembly=str(assembly.id))  # it filled since the menu was shown

    assert [signup.status for signup in signed_up(scene)] == ["waiting"]
    assert scene.feedback()[0].category == "waiting"
    assert told(values, texts.WAITING, assembly)


def a_waiting_list_place_leaves_room_for_the_next_person(scene: Scene):
    assembly = scene.assembly("niamana", capacity=1)
    other = scene.someone_else()
    first = rows.case(scene.db, other, "Assemblée", kind="assembly", category="waiting")
    scene.db.add(Signup(assembly_id=assembly.id, contact_id=other.id, feedback_id=first.id, status="waiting"))

    assert told(scene.carry_out("confirmed", assembly=str(assembly.id)), texts.SIGNED_UP, assembly)
    assert [signup.status for signup in signed_up(scene)] == ["confirmed"]


def joining_the_waiting_list_when_asked_to(scene: Scene):
    assembly = scene.assembly("senou", capacity=None)
    assert told(scene.carry_out("waiting", assembly=str(assembly.id)), texts.WAITING, assembly)
    assert [signup.status for signup in signed_up(scene)] == ["waiting"]


def signing_up_twice_is_one_sign_up_quoting_the_first_reference(scene: Scene):
    assembly = scene.assembly("sogoniko")
    first = scene.carry_out("confirmed", assembly=str(assembly.id))["reference"]
    scene.context.outcome.values.clear()

    values = scene.carry_out("confirmed", assembly=str(assembly.id))

    assert len(signed_up(scene)) == 1 and len(scene.feedback()) == 1
    assert values["reference"] == first and told(values, texts.SIGNED_UP, assembly)


def signing_up_again_after_giving_up_takes_the_same_reference(scene: Scene):
    assembly = scene.assembly("sogoniko")
    first = scene.carry_out("confirmed", assembly=str(assembly.id))["reference"]
    (signup,) = signed_up(scene)
    signup.status = signup.feedback.category = "cancelled"
    scene.context.outcome.values.clear()

    values = scene.carry_out("confirmed", assembly=str(assembly.id))

    assert values["reference"] == first and told(values, texts.SIGNED_UP, assembly)
    assert [(s.status, s.feedback.category) for s in signed_up(scene)] == [("confirmed", "confirmed")]
    assert len(scene.feedback()) == 1


def an_assembly_called_off_since_the_menu_takes_no_sign_up(scene: Scene):
    assembly = scene.assembly("sogoniko")
    assembly.status = "cancelled"
    assert scene.carry_out("confirmed", assembly=str(assembly.id)) == {"signup": texts.NOT_OPEN}
    assert signed_up(scene) == [] and scene.feedback() == []


# --- cancel_signup ---------------------------------------------------------------------------------


def a_signup(scene: Scene, contact: Contact, assembly: Assembly, status: str, told_hours_ago: float | None = 1):
    feedback = rows.case(scene.db, contact, assembly.title, kind="assembly", category=status)
    told_at = utcnow() - timedelta(hours=told_hours_ago) if told_hours_ago is not None else None
    signup = Signup(
        assembly_id=assembly.id, contact_id=contact.id, feedback_id=feedback.id, status=status, told_at=told_at
    )
    scene.db.add(signup)
    scene.db.flush()
    return signup


def the_keyword_gives_up_the_place_last_told_of_and_the_first_waiting_gets_it(scene: Scene):
    assembly = scene.assembly("niamana", capacity=1)
    mine = a_signup(scene, scene.contact, assembly, "confirmed")
    first, second = scene.someone_else("+22370000098"), scene.someone_else("+22370000099")
    first.channel = "ussd"  # texts to someone who last wrote by USSD go by SMS
    waited_first = a_signup(scene, first, assembly, "waiting", None)
    waited_next = a_signup(scene, second, assembly, "waiting", None)

    values = scene.carry_out()

    assert (mine.status, mine.feedback.category) == ("cancelled", "cancelled")
    assert values["cancelled"] == Filled(
        texts.SIGNUP_CANCELLED,
        {"title": assembly.title, "when": assembly.starts_at, "reference": mine.feedback.reference},
    )
    assert (waited_first.status, waited_first.feedback.category) == ("confirmed", "confirmed")
    assert waited_next.status == "waiting"
    ((message_id, lane),) = scene.context.outcome.messages
    message = scene.db.get(Message, message_id)
    assert (message.contact_id, message.channel, message.status, lane) == (first.id, "sms", "pending", Lane.BULK)
    assert assembly.title in message.text and "Espace communautaire de Niamana" in message.text
    assert waited_first.told_at is not None


def the_keyword_long_after_the_last_text_gives_up_nothing(scene: Scene):
    assembly = scene.assembly("niamana")
    mine = a_signup(scene, scene.contact, assembly, "confirmed", told_hours_ago=25)  # SIGNUP_CANCEL_HOURS is 24
    assert scene.carry_out() == {"cancelled": texts.NOTHING_TO_CANCEL}
    assert mine.status == "confirmed" and scene.context.outcome.messages == []


def the_keyword_with_no_sign_up_gives_up_nothing(scene: Scene):
    assert scene.carry_out() == {"cancelled": texts.NOTHING_TO_CANCEL}


def the_keyword_gives_up_the_most_recently_told_of_two(scene: Scene):
    older = a_signup(scene, scene.contact, scene.assembly("niamana"), "confirmed", told_hours_ago=5)
    newer = a_signup(scene, scene.contact, scene.assembly("senou"), "waiting", told_hours_ago=2)
    scene.carry_out()
    assert (older.status, newer.status) == ("confirmed", "cancelled")
    assert scene.context.outcome.messages == []  # a turn on the waiting list frees no place


def cancelling_from_the_list_gives_up_that_assembly_whenever_told(scene: Scene):
    chosen = a_signup(scene, scene.contact, scene.assembly("niamana"), "confirmed", told_hours_ago=None)
    other = a_signup(scene, scene.contact, scene.assembly("senou"), "confirmed", told_hours_ago=1)
    scene.carry_out(assembly=str(chosen.assembly_id))
    assert (chosen.status, other.status) == ("cancelled", "confirmed")


def a_called_off_assembly_has_nothing_to_give_up(scene: Scene):
    assembly = scene.assembly("niamana")
    mine = a_signup(scene, scene.contact, assembly, "confirmed")
    assembly.status = "cancelled"
    assert scene.carry_out() == {"cancelled": texts.NOTHING_TO_CANCEL}
    assert mine.status == "confirmed"


# --- notify_assemblies -----------------------------------------------------------------------------


def interests(scene: Scene) -> list[tuple[int, int]]:
    return [tuple(row) for row in scene.db.execute(select(AssemblyInterest.contact_id, AssemblyInterest.site_id))]


def asking_to_be_told_of_the_next_assembly_is_noted_once_for_the_site(scene: Scene):
    gao = rows.site(scene.db, "gao")
    scene.contact.site_id = gao.id
    scene.carry_out()
    scene.carry_out()
    assert interests(scene) == [(scene.contact.id, gao.id)]


def asking_without_a_site_notes_nothing(scene: Scene):
    scene.carry_out()
    assert interests(scene) == []


# --- lookup_reference ------------------------------------------------------------------------------


def following_up_tells_the_status_of_each_step_in_words(scene: Scene):
    case = rows.case(scene.db, scene.contact, reference="K7MP3X")
    for status in CaseStatus:
        case.status = status
        assert scene.carry_out(reference=" k7m-p3x ") == {"reference": "K7MP3X", "status": STATUS[status]}


def a_resolved_case_is_told_with_what_was_done(scene: Scene):
    case = rows.case(scene.db, scene.contact, reference="K7MP3X", status="resolved", outcome="Vidées jeudi.")
    status = scene.carry_out(reference="K7MP3X")["status"]
    assert status == Filled(STATUS_WITH_OUTCOME["resolved"], {"outcome": "Vidées jeudi."})
    case.status = "closed"
    assert scene.carry_out(reference="K7MP3X")["status"] == Filled(
        STATUS_WITH_OUTCOME["closed"], {"outcome": "Vidées jeudi."}
    )


def what_was_done_about_a_confidential_report_is_never_told_on_the_phone(scene: Scene):
    rows.case(
        scene.db,
        scene.contact,
        "On me menace",
        kind="confidential",
        vault=scene.vault,
        reference="K7MP3X",
        status="resolved",
        outcome="Orientée vers le centre d'écoute.",
    )
    assert scene.carry_out(reference="K7MP3X")["status"] == STATUS["resolved"]


def an_assembly_sign_up_is_told_as_a_place_or_the_waiting_list(scene: Scene):
    assembly = scene.assembly("sogoniko")
    case = rows.case(scene.db, scene.contact, "Assemblée", kind="assembly", category="waiting", reference="H2CQ8Z")
    signup = Signup(assembly_id=assembly.id, contact_id=scene.contact.id, feedback_id=case.id, status="waiting")
    scene.db.add(signup)
    for status in ("waiting", "confirmed", "cancelled", "attended"):
        signup.status = status
        assert scene.carry_out(reference="H2CQ8Z")["status"] == SIGNUP_STATUS[status]
    # Never the complaint's words, even if staff moved its queue entry.
    case.status, case.outcome = "resolved", "Fait."
    assert scene.carry_out(reference="H2CQ8Z")["status"] == SIGNUP_STATUS["attended"]
    assembly.status = "cancelled"
    assert scene.carry_out(reference="H2CQ8Z")["status"] == ASSEMBLY_CALLED_OFF


def someone_elses_reference_is_simply_not_found(scene: Scene):
    rows.case(scene.db, scene.someone_else(), reference="R4TW9N")
    assert scene.carry_out(reference="R4TW9N") == {"reference": "R4TW9N", "status": NOT_FOUND}


def what_cannot_be_a_reference_is_not_found(scene: Scene):
    rows.case(scene.db, scene.contact, reference="K7MP3X")
    assert scene.carry_out(reference="hello?")["status"] == NOT_FOUND
    assert scene.carry_out(reference="")["status"] == NOT_FOUND


def a_reference_typed_with_look_alikes_is_the_persons_own_and_quoted_as_written(scene: Scene):
    rows.case(scene.db, scene.contact, reference="GAPN5V")
    assert scene.carry_out(reference="gapnsv") == {"reference": "GAPN5V", "status": STATUS["new"]}
    assert scene.carry_out(reference="6APN-5U")["reference"] == "GAPN5V"


def look_alikes_never_reach_someone_elses_reference(scene: Scene):
    rows.case(scene.db, scene.someone_else(), reference="GAPN5V")
    rows.case(scene.db, scene.contact, reference="K7MP3X")
    assert scene.carry_out(reference="GAPNSV") == {"reference": "GAPNSV", "status": NOT_FOUND}


def two_own_references_that_read_alike_are_told_apart_only_exactly(scene: Scene):
    rows.case(scene.db, scene.contact, reference="GAPN5V", status="resolved")
    rows.case(scene.db, scene.contact, reference="GAPNSV", status="in_progress")
    assert scene.carry_out(reference="GAPN5V")["status"] == STATUS["resolved"]
    assert scene.carry_out(reference="gapnsv")["status"] == STATUS["in_progress"]
    assert scene.carry_out(reference="6APN5V") == {"reference": "6APN5V", "status": NOT_FOUND}


CASES: dict[str, tuple[Callable[[Scene], None], ...]] = {
    "set_language": (the_chosen_language_is_theirs_from_now_on,),
    "accept_consent": (accepting_is_remembered_with_its_time,),
    "refuse_consent": (refusing_keeps_the_refusal_and_nothing_else_about_the_person,),
    "set_site": (the_chosen_site_is_remembered_for_the_next_reports, choosing_a_site_confirms_it_for_site_confirm_days),
    "confirm_site": (still_there_confirms_the_site_again_and_keeps_it,),
    "opt_out": (after_stop_the_person_is_sent_nothing_more,),
    "opt_in": (after_start_messages_resume,),
    "submit": (
        a_complaint_is_filed_with_a_fresh_reference,
        a_need_is_filed_at_the_site_chosen_in_the_flow,
        a_confidential_report_is_kept_only_encrypted,
        a_confidential_report_may_say_nothing_more_than_what_happened,
        each_submission_gets_its_own_reference,
    ),
    "sign_up": (
        a_place_at_an_assembly_with_room_is_confirmed,
        a_full_assembly_puts_the_person_on_its_waiting_list,
        a_waiting_list_place_leaves_room_for_the_next_person,
        joining_the_waiting_list_when_asked_to,
        signing_up_twice_is_one_sign_up_quoting_the_first_reference,
        the_answer_quotes_the_title_in_the_persons_language,
        signing_up_again_after_giving_up_takes_the_same_reference,
        an_assembly_called_off_since_the_menu_takes_no_sign_up,
    ),
    "cancel_signup": (
        the_keyword_gives_up_the_place_last_told_of_and_the_first_waiting_gets_it,
        the_keyword_long_after_the_last_text_gives_up_nothing,
        the_keyword_with_no_sign_up_gives_up_nothing,
        the_keyword_gives_up_the_most_recently_told_of_two,
        cancelling_from_the_list_gives_up_that_assembly_whenever_told,
        a_called_off_assembly_has_nothing_to_give_up,
    ),
    "notify_assemblies": (
        asking_to_be_told_of_the_next_assembly_is_noted_once_for_the_site,
        asking_without_a_site_notes_nothing,
    ),
    "lookup_reference": (
        following_up_tells_the_status_of_each_step_in_words,
        a_resolved_case_is_told_with_what_was_done,
        what_was_done_about_a_confidential_report_is_never_told_on_the_phone,
        an_assembly_sign_up_is_told_as_a_place_or_the_waiting_list,
        someone_elses_reference_is_simply_not_found,
        what_cannot_be_a_reference_is_not_found,
        a_reference_typed_with_look_alikes_is_the_persons_own_and_quoted_as_written,
        look_alikes_never_reach_someone_elses_reference,
        two_own_references_that_read_alike_are_told_apart_only_exactly,
    ),
}


def test_every_registered_action_has_a_case():
    assert set(CASES) == set(ACTIONS)
    assert all(CASES.values())


@pytest.mark.parametrize(
    ("name", "case"),
    [(name, case) for name, cases in CASES.items() for case in cases],
    ids=[f"{name}: {case.__name__}" for name, cases in CASES.items() for case in cases],
)
def test_action_case(runtime, name, case):
    with transaction(runtime.database) as db:
        contact = rows.person(db, runtime.vault)
        inbound = rows.message(db, contact, "1")
        desk = Desk(runtime.catalogues, runtime.settings, runtime.vault)
        context = ActionContext(db, contact, inbound, runtime.vault, desk=desk)
        scene = Scene(name, db, runtime.vault, contact, inbound, context)
        case(scene)
        assert scene.done, "the case must carry the action out"
        contact_id, expected = contact.id, ACTIONS[name].spec.facts(scene.done[-1].values)

    with runtime.database() as db:
        stored = facts_of(db.get(Contact, contact_id))
        assert {fact: stored[fact] for fact in expected} == dict(expected)


# --- what the engine knows of each action ----------------------------------------------------------

# name -> (the turn's values, the facts the rest of the turn then has)
FACTS = {
    "set_language": ({"language": "bm"}, {"language": "bm"}),
    "accept_consent": ({"consent": False}, {"consent": True}),
    "refuse_consent": (
        {"language": "bm", "site": "niamana", "site_name": "Niamana", "site_confirmed": True},
        {"consent": False, "language": None, "site": None, "site_name": None, "site_confirmed": False},
    ),
    "set_site": (
        {"site": "senou", "site_name": "Sénou", "site_confirmed": False},
        {"site": "senou", "site_name": "Sénou", "site_confirmed": True},
    ),
    "confirm_site": ({"site": "senou", "site_confirmed": False}, {"site_confirmed": True}),
    "opt_out": ({"opted_out": False}, {"opted_out": True}),
    "opt_in": ({"opted_out": True}, {"opted_out": False}),
    "submit": ({"text": "Les latrines débordent"}, {}),
    "sign_up": ({"assembly": "3"}, {}),
    "cancel_signup": ({"assembly": "3"}, {}),
    "notify_assemblies": ({"site": "gao"}, {}),
    "lookup_reference": ({"reference": "K7MP3X"}, {}),
}


def test_every_registered_action_says_how_it_changes_the_person():
    assert set(FACTS) == set(ACTIONS)


@pytest.mark.parametrize("name", FACTS)
def test_the_facts_an_action_leaves_for_the_rest_of_the_turn(name):
    values, facts = FACTS[name]
    assert dict(ACTIONS[name].spec.facts(values)) == facts


@pytest.mark.parametrize(
    ("name", "arguments"),
    [
        ("submit", {"complaint", "need", "confidential"}),  # an assembly sign-up is `sign_up`'s
        ("sign_up", {"confirmed", "waiting"}),
        *((name, None) for name in sorted(set(FACTS) - {"submit", "sign_up"})),
    ],
)
def test_which_actions_take_an_argument(name, arguments):
    assert ACTIONS[name].spec.arguments == (None if arguments is None else frozenset(arguments))


@pytest.mark.parametrize("kind", [Kind.COMPLAINT, Kind.NEED])
def test_a_submission_reads_its_kinds_categories_from_the_vocabulary(kind):
    assert dict(ACTIONS["submit"].spec.reads(kind)) == {"category": CATEGORIES[kind]}


def test_a_confidential_report_also_reads_whether_to_call_back():
    reads = ACTIONS["submit"].spec.reads(Kind.CONFIDENTIAL)
    assert set(reads) == {"category", "callback"}
    assert tuple(reads["category"]) == CATEGORIES[Kind.CONFIDENTIAL]
    assert set(reads["callback"]) == {"this_number", "other", "no"} == set(Callback.values())


@pytest.mark.parametrize("name", sorted(set(FACTS) - {"submit"}))
def test_other_actions_read_no_vocabulary(name):
    spec = ACTIONS[name].spec
    for arg in spec.arguments or (None,):
        assert dict(spec.reads(arg)) == {}
