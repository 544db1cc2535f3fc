"""Rendering staff pages: Jinja2 templates, in French (default) or English, through Babel's gettext."""

from pathlib import Path

import jinja2
from babel.support import NullTranslations, Translations
from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

from bot.admin.security import csrf_token

TEMPLATES = Path(__file__).resolve().parent / "templates"
DOMAIN = "admin"
# The staff interface: French first (the staff's working language), English second.
INTERFACE_LANGUAGES = ("fr", "en")


class Interface:
    """Templates plus one gettext catalogue per interface language (English is the source text)."""

    def __init__(self, locales_dir: Path):
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, extensions=["jinja2.ext.i18n"]
        )
        env.policies["ext.i18n.trimmed"] = True
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
        return self.templates.TemplateResponse(
            request,
            template,
            {
                "gettext": catalogue.gettext,
                "ngettext": catalogue.ngettext,
                "_": catalogue.gettext,
                "lang": self.language(request),
                "csrf_token": csrf_token(request),
                "user": getattr(request.state, "user", None),
                **context,
            },
            status_code=status_code,
        )
