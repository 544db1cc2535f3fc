"""Canned replies at /admin/canned-replies, for admins: a title in each interface language (what staff pick from)
and the text in each language of the line (what the person reads), added, edited and deleted.

Blanks (`...` or `{placeholder}`) are allowed: the case page will not send a reply until staff fill them.
"""

import logging

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from starlette.datastructures import FormData

from bot.models import CannedReply
from bot.web.deps import AdminDep, FormDep, StaffPage, StaffPageDep
from bot.web.pages import INTERFACE_LANGUAGES, INTERFACE_NAMES, flash
from bot.whole_numbers import record_id

router = APIRouter(prefix="/admin/canned-replies")
log = logging.getLogger(__name__)

PAGE = "/admin/canned-replies"
# The model's `title` column; a reply is sent as one text and an SMS reply past ten parts costs too much.
MAX_TITLE = 120
MAX_TEXT = 1600


def title_in(reply: CannedReply, lang: str) -> str:
    """The reply's title in the interface's language, else its stored title."""
    return (reply.titles or {}).get(lang) or reply.title


def _languages(page: StaffPage) -> list[tuple[str, str]]:
    """(code, name) of each language the line speaks: one text field each."""
    catalogues = page.runtime.catalogues
    return [(lang, catalogues.language_name(lang)) for lang in page.runtime.settings.languages]


def _context(page: StaffPage) -> dict:
    return {
        "interface_languages": [(lang, INTERFACE_NAMES.get(lang, lang)) for lang in INTERFACE_LANGUAGES],
        "languages": _languages(page),
        "title_in": title_in,
        "max_title": MAX_TITLE,
        "max_text": MAX_TEXT,
    }


def _shown(page: StaffPage, form: FormData | None, reply: CannedReply | None) -> dict[str, dict[str, str]]:
    """What the fields show: what was typed (a refused form), else the reply's own titles and texts."""
    if form is not None:
        return {
            "titles": {lang: str(form.get(f"title_{lang}", "")) for lang in INTERFACE_LANGUAGES},
            "texts": {lang: str(form.get(f"text_{lang}", "")) for lang in page.runtime.settings.languages},
        }
    if reply is None:
        return {"titles": {}, "texts": {}}
    return {"titles": reply.titles or {INTERFACE_LANGUAGES[0]: reply.title}, "texts": dict(reply.texts)}


def _list_page(page: StaffPage, status_code: int = 200, form: FormData | None = None, **context) -> Response:
    lang = _lang(page)
    replies = sorted(page.db.scalars(select(CannedReply)), key=lambda reply: title_in(reply, lang).casefold())
    return page.render(
        "canned_replies.html",
        status_code=status_code,
        replies=replies,
        shown=_shown(page, form, None),
        **_context(page),
        **context,
    )


def _reply_page(
    page: StaffPage, reply: CannedReply, status_code: int = 200, form: FormData | None = None, **context
) -> Response:
    return page.render(
        "canned_reply.html",
        status_code=status_code,
        reply=reply,
        shown=_shown(page, form, reply),
        **_context(page),
        **context,
    )


def _lang(page: StaffPage) -> str:
    return page.interface.language(page.request)


def _reply(page: StaffPage, raw_id: str) -> CannedReply | None:
    number = record_id(raw_id)
    return page.db.get(CannedReply, number) if number is not None else None


def _missing(page: StaffPage) -> Response:
    _ = page.gettext
    return page.render(
        "missing.html",
        status_code=404,
        title=_("Canned replies"),
        message=_("There is no such canned reply."),
        back=PAGE,
    )


def _read(page: StaffPage, form: FormData) -> tuple[dict[str, str], dict[str, str]]:
    """The titles and texts a form gives, without empty ones; a ValueError in the reader's language if unusable."""
    _ = page.gettext
    titles = {lang: str(form.get(f"title_{lang}", "")).strip() for lang in INTERFACE_LANGUAGES}
    texts = {lang: str(form.get(f"text_{lang}", "")).strip() for lang in page.runtime.settings.languages}
    titles = {lang: title for lang, title in titles.items() if title}
    texts = {lang: text for lang, text in texts.items() if text}
    if not titles:
        raise ValueError(_("Give the reply a title, in at least one language of the interface."))
    if not texts:
        raise ValueError(_("Write the reply's text in at least one language."))
    if any(len(title) > MAX_TITLE for title in titles.values()):
        raise ValueError(_("A title has at most %(count)s characters.") % {"count": MAX_TITLE})
    if any(len(text) > MAX_TEXT for text in texts.values()):
        raise ValueError(_("A text has at most %(count)s characters.") % {"count": MAX_TEXT})
    return titles, texts


def _fill(reply: CannedReply, titles: dict[str, str], texts: dict[str, str]) -> None:
    reply.titles, reply.texts = titles, texts
    # The title of the interface's first language (French) where there is one: what older code reads.
    reply.title = next(titles[lang] for lang in INTERFACE_LANGUAGES if lang in titles)


@router.get("")
def list_replies(_admin: AdminDep, page: StaffPageDep) -> Response:
    return _list_page(page)


@router.post("")
def add(admin: AdminDep, page: StaffPageDep, form: FormDep) -> Response:
    _ = page.gettext
    try:
        titles, texts = _read(page, form)
    except ValueError as error:
        return _list_page(page, 400, error=str(error), form=form)
    reply = CannedReply(title="", texts={})
    _fill(reply, titles, texts)
    page.db.add(reply)
    page.db.commit()
    log.info("staff #%s added canned reply #%s", admin.id, reply.id)
    flash(page.request, "info", _("Canned reply added: %(title)s.") % {"title": title_in(reply, _lang(page))})
    return RedirectResponse(PAGE, status_code=303)


@router.get("/{reply_id}")
def reply_page(reply_id: str, _admin: AdminDep, page: StaffPageDep) -> Response:
    reply = _reply(page, reply_id)
    return _missing(page) if reply is None else _reply_page(page, reply)


@router.post("/{reply_id}")
def edit(reply_id: str, admin: AdminDep, page: StaffPageDep, form: FormDep) -> Response:
    _ = page.gettext
    reply = _reply(page, reply_id)
    if reply is None:
        return _missing(page)
    try:
        titles, texts = _read(page, form)
    except ValueError as error:
        return _reply_page(page, reply, 400, error=str(error), form=form)
    # A text in a language the line no longer speaks is kept, should it speak it again.
    kept = {lang: text for lang, text in reply.texts.items() if lang not in page.runtime.settings.languages}
    _fill(reply, titles, {**kept, **texts})
    page.db.commit()
    log.info("staff #%s edited canned reply #%s", admin.id, reply.id)
    flash(page.request, "info", _("Canned reply saved: %(title)s.") % {"title": title_in(reply, _lang(page))})
    return RedirectResponse(PAGE, status_code=303)


@router.post("/{reply_id}/delete")
def delete(reply_id: str, admin: AdminDep, page: StaffPageDep, form: FormDep) -> Response:
    """Replies already sent keep their text: a case's trail holds what was sent, not the canned reply."""
    _ = page.gettext
    reply = _reply(page, reply_id)
    if reply is None:
        return _missing(page)
    title, number = title_in(reply, _lang(page)), reply.id
    page.db.delete(reply)
    page.db.commit()
    log.info("staff #%s deleted canned reply #%s", admin.id, number)
    flash(page.request, "info", _("Canned reply deleted: %(title)s.") % {"title": title})
    return RedirectResponse(PAGE, status_code=303)
