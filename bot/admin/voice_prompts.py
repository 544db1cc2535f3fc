"""The voice line's prompt recordings at /admin/voice-prompts, for admins: per language what is recorded and what
is missing, the words of each prompt to say, its recording to play, and an upload (bot.voice_uploads checks it).

Recordings are played from the public route Twilio uses (bot.channels.voice): they hold nothing personal.
"""

import logging
from dataclasses import dataclass

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from bot.channels.voice import PROMPTS
from bot.vocabulary import N_
from bot.voice_prompts import Prompt, Recordings
from bot.voice_uploads import MAX_BYTES, MAX_SECONDS, Refused, store
from bot.web.deps import AdminDep, FormDep, StaffPage, StaffPageDep
from bot.web.pages import flash

router = APIRouter(prefix="/admin/voice-prompts")
log = logging.getLogger(__name__)

PAGE = "/admin/voice-prompts"
MAX_UPLOAD_BYTES = MAX_BYTES + 64 * 1024  # the file and the form around it
NO_FILE = N_("Choose a recording file (MP3, WAV or OGG).")
NO_PROMPT = N_("There is no such voice prompt.")


@dataclass(frozen=True)
class Row:
    """One prompt as the page shows it: its words and key, and where its recording plays from (None: missing)."""

    prompt: Prompt
    url: str | None


@dataclass(frozen=True)
class Language:
    code: str
    name: str
    coverage: str
    rows: list[Row]


def _recordings(page: StaffPage) -> Recordings:
    runtime = page.runtime
    return Recordings.configured(runtime.settings, runtime.catalogues, runtime.flows)


def _languages(page: StaffPage, missing_only: bool) -> list[Language]:
    _, recordings = page.gettext, _recordings(page)
    catalogues = page.runtime.catalogues
    offered = ", ".join(recordings.voiced()) or _("none")
    shown = []
    for lang in page.runtime.settings.languages:
        files, rows = recordings.files(lang), []
        for prompt in recordings.prompts(lang):
            path = files.get(prompt.key)
            if missing_only and (path or prompt.optional):
                continue
            # The file's time in the URL: a browser plays a new recording, not the one it kept.
            url = f"{PROMPTS}/{lang}/{path.name}?v={path.stat().st_mtime_ns}" if path else None
            rows.append(Row(prompt, url))
        needed = [prompt for prompt in recordings.prompts(lang) if not prompt.optional]
        coverage = _("%(language)s: %(recorded)s of %(needed)s recorded; the voice line offers %(offered)s") % {
            "language": lang,
            "recorded": len(needed) - len(recordings.missing(lang)),
            "needed": len(needed),
            "offered": offered,
        }
        shown.append(Language(lang, catalogues.language_name(lang), coverage, rows))
    return shown


def _page(page: StaffPage, missing_only: bool = False, status_code: int = 200, error: str = "") -> Response:
    return page.render(
        "voice_prompts.html",
        status_code=status_code,
        languages=_languages(page, missing_only),
        missing_only=missing_only,
        max_seconds=MAX_SECONDS,
        max_megabytes=MAX_BYTES // (1024 * 1024),
        error=error,
    )


@router.get("")
def list_prompts(_admin: AdminDep, page: StaffPageDep, missing: bool = False) -> Response:
    return _page(page, missing)


@router.post("/{lang}/{key}")
def upload(lang: str, key: str, admin: AdminDep, page: StaffPageDep, form: FormDep) -> Response:
    _ = page.gettext
    settings = page.runtime.settings
    if lang not in settings.languages or key not in {prompt.key for prompt in _recordings(page).prompts(lang)}:
        return _page(page, status_code=404, error=_(NO_PROMPT))
    upload = form.get("recording")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _page(page, status_code=400, error=_(NO_FILE))
    try:
        stored = store(upload.file.read(MAX_BYTES + 1), settings.voice_prompts_dir, lang, key)
    except Refused as refused:
        return _page(page, status_code=400, error=f"{lang}/{key}: {refused.words(_)}")
    log.info("staff #%s recorded voice prompt %s/%s (%s)", admin.id, lang, key, stored.name)
    flash(page.request, "info", _("Recording saved: %(key)s (%(language)s).") % {"key": key, "language": lang})
    return RedirectResponse(f"{PAGE}#{lang}-{key}", status_code=303)
