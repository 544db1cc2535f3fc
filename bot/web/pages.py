"""Rendering staff pages: Jinja2 templates, in French (default) or English, through Babel's gettext.

Every page gets the signed-in user, a CSRF token for its forms, the flash messages waiting in the
login session (`flash`), and `label(vocabulary, code)` for the name of a kind, status, category...
"""

from collections.abc import Callable
from pathlib import Path

import jinja2
from babel.support import NullTranslations, Translations
from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

from bot.cases.access import organizes, works_at_desk
from bot.vocabulary import (
    AttachmentKind,
    AttachmentStatus,
    CaseStatus,
    Category,
    Channel,
    Kind,
    MessageStatus,
    ReferralStatus,
    SignupStatus,
    Vocabulary,
)
from bot.web.security import csrf_token

DOMAIN = "admin"
# The staff interface: French first (the staff's working language), English second.
INTERFACE_LANGUAGES = ("fr", "en")
# Each named in itself, as a reader looks for their own.
INTERFACE_NAMES = {"fr": "Français", "en": "English"}
_FLASHES = "flashes"
# The vocabularies a page names codes of. An assembly sign-up's category is its place or
# waiting-list status, so a category is looked up in both.
VOCABULARIES: dict[str, tuple[type[Vocabulary], ...]] = {
    "kind": (Kind,),
    "status": (CaseStatus,),
    "category": (Category, SignupStatus),
    "channel": (Channel,),
    "message_status": (MessageStatus,),
    "referral_status": (ReferralStatus,),
    "attachment_kind": (AttachmentKind,),
    "attachment_status": (AttachmentStatus,),
}


def labeller(gettext: Callable[[str], str]) -> Callable[[str, str | None], str]:
    """`label("status", "in_progress")` → "En cours": a code's label in the reader's language, else the code."""

    def label(vocabulary: str, value: str | None) -> str:
        for codes in VOCABULARIES[vocabulary]:
            if codes.has(value):
                return gettext(codes(value).label)
        return value or ""

    return label


def choices(vocabulary: str, gettext: Callable[[str], str]) -> list[tuple[str, str]]:
    """(code, label) of every code of a vocabulary, for a filter's menu."""
    return [(code.value, gettext(code.label)) for codes in VOCABULARIES[vocabulary] for code in codes]


def flash(request: Request, kind: str, text: str) -> None:
    """A message for the next page this person sees (after a redirect): `info` or `error`."""
    request.session[_FLASHES] = [*request.session.get(_FLASHES, []), [kind, text]]


def _pop_flashes(request: Request) -> list[tuple[str, str]]:
    session = request.scope.get("session")
    return [(kind, text) for kind, text in session.pop(_FLASHES, [])] if session is not None else []


class Interface:
    """Templates plus one gettext catalogue per interface language (English is the source text)."""

    def __init__(self, templates: Path, locales_dir: Path):
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(templates), autoescape=True, extensions=["jinja2.ext.i18n"]
        )
        env.policies["ext.i18n.trimmed"] = True
        env.globals["works_at_desk"] = works_at_desk
        env.globals["organizes"] = organizes
        self.templates = Jinja2Templates(env=env)
        self.catalogues: dict[str, NullTranslations] = {"en": NullTranslations()}
        for lang in INTERFACE_LANGUAGES[:-1]:
            catalogue = Translations.load(str(locales_dir), [lang], domain=DOMAIN)
            if not isinstance(catalogue, Translations):
                raise RuntimeError(f"no compiled `{DOMAIN}` catalogue for `{lang}`: run `make locales`")
            self.catalogues[lang] = catalogue

    def language(self, request: Request) -> str:
        chosen = request.cookies.get("lang")
        return chosen if chosen in INTERFACE_LANGUAGES else INTERFACE_LANGUAGES[0]

    def gettext(self, request: Request):
        return self.catalogues[self.language(request)].gettext

    def render(self, request: Request, template: str, status_code: int = 200, **context) -> HTMLResponse:
        catalogue = self.catalogues[self.language(request)]
        response = self.templates.TemplateResponse(
            request,
            template,
            {
                "gettext": catalogue.gettext,
                "ngettext": catalogue.ngettext,
                "_": catalogue.gettext,
                "label": labeller(catalogue.gettext),
                "lang": self.language(request),
                "csrf_token": csrf_token(request),
                "user": getattr(request.state, "user", None),
                "flashes": _pop_flashes(request),
                **context,
            },
            status_code=status_code,
        )
        # Staff pages hold personal data: not kept in shared or browser caches.
        response.headers["Cache-Control"] = "no-store"
        return response
