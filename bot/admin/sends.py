"""The page of sends waiting for a decision at /admin/sends, and its "send again" form.

Desk staff only, through the inbox's access rules (bot.cases.sends): each row is a message about
a case the user may see. "Send again" is one CSRF-checked form per message; it is carried out by
`bot.cases.sends.send_again`, committed, handed to RQ, and answered with a redirect and a flash.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from bot.cases import sends
from bot.cases.lifecycle import Refused
from bot.cases.view import decrypted
from bot.handover import AfterCommit
from bot.models import Contact
from bot.phones import mask
from bot.web.deps import DeskStaffDep, FormDep, StaffPage, StaffPageDep
from bot.web.pages import flash, labeller
from bot.whole_numbers import record_id

router = APIRouter(prefix="/admin/sends")

PAGE = "/admin/sends"


def _when(value: datetime | None, tz: ZoneInfo) -> dict | None:
    if value is None:
        return None
    local = value.astimezone(tz)
    return {"iso": local.isoformat(timespec="seconds"), "text": local.strftime("%Y-%m-%d %H:%M")}


def _row(page: StaffPage, send: sends.Send, tz: ZoneInfo, label) -> dict:
    _, vault = page.gettext, page.runtime.vault
    message, feedback = send.message, send.feedback
    contact = page.db.get(Contact, message.contact_id) if message.contact_id else None
    number = decrypted(vault, contact.phone_encrypted) if contact is not None else None
    if sends.lost_its_worker(message):
        problem = _("The worker sending it stopped before the provider answered: it may have arrived.")
    else:
        problem = " · ".join(part for part in (message.error_code, message.error_message) if part)
    return {
        "id": message.id,
        "when": _when(message.status_at or message.created_at, tz),
        "to": mask(number) if number else _("number erased"),
        "channel": label("channel", message.channel),
        "status": label("message_status", message.status),
        "problem": problem,
        "attempts": message.attempts,
        "case": {"reference": feedback.reference, "confidential": feedback.confidential} if feedback else None,
        "text": (decrypted(vault, message.text_encrypted) if message.confidential else message.text) or "",
    }


def _page(page: StaffPage, status_code: int = 200, error: str | None = None) -> Response:
    tz = ZoneInfo(page.runtime.settings.timezone)
    label = labeller(page.gettext)
    return page.render(
        "sends.html",
        status_code=status_code,
        error=error,
        maybe_sent=[_row(page, send, tz, label) for send in sends.waiting(page.db, page.user, sends.MAYBE_SENT)],
        not_sent=[_row(page, send, tz, label) for send in sends.waiting(page.db, page.user, sends.NOT_SENT)],
        shown=sends.SHOWN,
    )


@router.get("")
def sends_page(page: StaffPageDep, _desk: DeskStaffDep) -> Response:
    return _page(page)


@router.post("/{message_id}/again")
def send_again(message_id: str, page: StaffPageDep, _desk: DeskStaffDep, form: FormDep) -> Response:
    """Send one message again, on a person's decision; a message the user may not see is answered as missing."""
    db, _ = page.db, page.gettext
    number = record_id(message_id)  # strictly: never int("²"), nor a number past any id
    found = sends.visible_send(db, page.user, number) if number is not None else None
    if found is None:
        return _page(page, status_code=404, error=_("There is no such message among those you may see."))
    try:
        again = sends.send_again(db, page.runtime.vault, page.user, found)
    except Refused as refused:
        db.rollback()
        flash(page.request, "error", refused.text(_))
        return RedirectResponse(PAGE, status_code=303)
    db.commit()
    page.runtime.transactions.hand_over(AfterCommit(messages=[again]))
    flash(page.request, "info", _("Sent again: it goes out in a moment, and the list shows it if it fails again."))
    return RedirectResponse(PAGE, status_code=303)
