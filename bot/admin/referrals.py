"""A case's referrals on its page (`section`, the case page's `_referral.html`), and the forms that refer a case
and record the partner's answer, carried out by `bot.cases.referrals`.

The case is found through `feedback_by_reference`, so a case the user may not see (a confidential report, for
a triage officer) answers 404 like one that does not exist, and its partner is never named to them.
"""

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from bot.cases import lifecycle, partners, referrals
from bot.cases.lifecycle import Desk, Refused
from bot.cases.queries import feedback_by_reference
from bot.handover import AfterCommit
from bot.models import Feedback, Partner
from bot.vocabulary import N_, ReferralStatus
from bot.web.deps import FormDep, StaffPage, StaffPageDep
from bot.web.pages import flash
from bot.whole_numbers import record_id

router = APIRouter(prefix="/admin/cases")

# The button that records each of the partner's answers.
ANSWER_LABELS = {
    ReferralStatus.ACCEPTED: N_("The partner accepted"),
    ReferralStatus.DECLINED: N_("The partner declined"),
    ReferralStatus.DONE: N_("The partner is done"),
}


def _when(value: datetime | None, tz: ZoneInfo) -> dict | None:
    if value is None:
        return None
    local = value.astimezone(tz)
    return {"iso": local.isoformat(timespec="seconds"), "text": local.strftime("%Y-%m-%d %H:%M")}


def section(page: StaffPage, feedback: Feedback) -> dict | None:
    """What the case page shows of its referrals, and how to refer it; None for an assembly sign-up."""
    if not lifecycle.has_case_lifecycle(feedback):
        return None
    _ = page.gettext
    tz = ZoneInfo(page.runtime.settings.timezone)
    lines = referrals.lines(page.db, feedback, page.runtime.vault)
    rows = [
        {
            "id": line.id,
            "partner": line.partner,
            "status": line.status,
            "status_label": _(ReferralStatus(line.status).label),
            "sent": _when(line.sent_at, tz),
            "accepted": _when(line.accepted_at, tz),
            "declined": _when(line.declined_at, tz),
            "done": _when(line.done_at, tz),
            "by": line.by,
            "note": line.note,
            "answers": [(answer.value, _(ANSWER_LABELS[answer])) for answer in line.answers],
        }
        for line in lines
    ]
    latest = referrals.latest_referrals(page.db, [feedback.id]).get(feedback.id)
    may_refer = referrals.may_refer(feedback, latest)
    choices = partners.choices(page.db, feedback) if may_refer else []
    return {
        "current": rows[-1] if rows else None,
        "earlier": list(reversed(rows[:-1])),
        "may_refer": may_refer,
        "again": bool(rows),
        "suggested": [(c.partner.id, c.partner.name) for c in choices if c.suggested],
        "others": [(c.partner.id, c.partner.name) for c in choices if not c.suggested],
        "note_max": referrals.NOTE_MAX_CHARS,
        "may_text": lifecycle.may_text(feedback),
    }


def _desk(page: StaffPage) -> Desk:
    return Desk(page.runtime.catalogues, page.runtime.settings, page.runtime.vault)


Action = Callable[[Feedback], tuple[str, list[tuple[int, str]]]]


def _act(page: StaffPage, reference: str, action: Action) -> Response:
    """Carry out `action` (a flash text and the messages to send), commit, queue, and go back to the referral."""
    db, _ = page.db, page.gettext
    feedback = feedback_by_reference(db, page.user, reference)
    if feedback is None:
        return page.render("case_missing.html", status_code=404)
    back = RedirectResponse(f"/admin/cases/{feedback.reference}#referral", status_code=303)
    try:
        done, sends = action(feedback)
    except Refused as refused:
        db.rollback()
        flash(page.request, "error", refused.text(_))
        return back
    db.commit()
    page.runtime.transactions.hand_over(AfterCommit(messages=sends))
    flash(page.request, "info", done)
    return back


@router.post("/{reference}/referral")
def refer(reference: str, page: StaffPageDep, form: FormDep) -> Response:
    _ = page.gettext

    def action(feedback: Feedback):
        partner_id = record_id(str(form.get("partner") or ""))
        partner = page.db.get(Partner, partner_id) if partner_id is not None else None
        note = str(form.get("note") or "")
        sends = referrals.refer(page.db, feedback, page.user, partner, note, desk=_desk(page))
        done = _("Referred to %(partner)s.") % {"partner": partner.name}
        if lifecycle.may_text(feedback):
            done += " " + _("The person is told by text message, in their language.")
        else:
            done += " " + _(
                "No text message for a confidential report: tell the person by a call, if they agreed to one."
            )
        return done, sends

    return _act(page, reference, action)


@router.post("/{reference}/referral/{referral_id}")
def record_answer(reference: str, referral_id: str, page: StaffPageDep, form: FormDep) -> Response:
    _ = page.gettext

    def action(feedback: Feedback):
        status = str(form.get("status") or "")
        sends = referrals.answer(page.db, feedback, record_id(referral_id), page.user, status, desk=_desk(page))
        done = _("Referral: %(status)s.") % {"status": _(ReferralStatus(status).label)}
        if status == ReferralStatus.DECLINED and feedback.status == referrals.DECLINED_TO:
            done += " " + _("The case is back at the desk: refer it to another partner, or handle it.")
        return done, sends

    return _act(page, reference, action)
