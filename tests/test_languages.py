"""Languages are data: a third one takes a catalogue and one line of configuration."""

import shutil

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.app import create_app
from bot.config import Settings
from bot.engine.check import load_and_check
from bot.engine.flow import Text
from bot.flows import REGISTRY
from bot.i18n import Catalogues
from bot.models import Feedback
from tests.conftest import Phone

# A few Pulaar (Fulfulde) texts; every other one stands in as its English source text.
PULAAR = {
    ("language-name", "English"): "Pulaar",
    ("welcome.language", "Welcome to baro. Choose your language:"): "Bisimilla! Suɓo ɗemngal:",
    ("main.menu", "Send the number of your choice:"): "Neldu limoore:",
    ("main.menu", "Report a problem"): "Habrude caɗeele",
}


def compile_catalogues(locales, target, extra: dict[str, dict]) -> None:
    """What `make locales` does, into `target`, plus made-up catalogues for other languages."""
    for po in locales.glob("*/LC_MESSAGES/*.po"):
        out = target / po.relative_to(locales).with_suffix(".mo")
        out.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as source, out.open("wb") as mo:
            write_mo(mo, read_po(source))
    with (locales / "messages.pot").open("rb") as source:
        template = read_po(source)
    for lang, texts in extra.items():
        catalog = Catalog(locale=lang)
        for message in template:
            if message.id:
                catalog.add(message.id, texts.get((message.context, message.id), message.id), context=message.context)
        out = target / lang / "LC_MESSAGES" / "messages.mo"
        out.parent.mkdir(parents=True)
        with out.open("wb") as mo:
            write_mo(mo, catalog)


@pytest.fixture
def three_languages(settings, tmp_path):
    compile_catalogues(settings.locales_dir, tmp_path, {"ff": PULAAR})
    shutil.copy(settings.locales_dir / "messages.pot", tmp_path)
    # The one line of configuration: LANGUAGES=fr,bm,ff
    return Settings(**{**settings.model_dump(), "languages": "fr,bm,ff", "locales_dir": tmp_path})


def test_the_one_line_is_a_comma_separated_list(monkeypatch):
    monkeypatch.setenv("LANGUAGES", "fr,bm,ff")
    assert Settings(_env_file=None).languages == ["fr", "bm", "ff"]


def test_a_third_language_passes_the_flow_check(three_languages):
    texts = Catalogues.load(three_languages.locales_dir, three_languages.languages)
    _, problems = load_and_check(three_languages.flows_dir, REGISTRY, texts)
    assert problems == []


def test_a_third_language_needs_every_text(settings, tmp_path):
    partial = tmp_path / "partial"
    compile_catalogues(settings.locales_dir, partial, {})
    catalog = Catalog(locale="ff")
    catalog.add("English", "Pulaar", context="language-name")
    (partial / "ff" / "LC_MESSAGES").mkdir(parents=True)
    with (partial / "ff" / "LC_MESSAGES" / "messages.mo").open("wb") as mo:
        write_mo(mo, catalog)
    _, problems = load_and_check(settings.flows_dir, REGISTRY, Catalogues.load(partial, ["fr", "bm", "ff"]))
    assert "complaint.yaml: state `category`: no `ff` text for 'What is your complaint about?'" in problems


def test_a_person_can_choose_the_third_language_and_be_served_in_it(three_languages, runtime):
    with TestClient(create_app(three_languages)) as client:
        person = Phone(client, "+22370000041", three_languages.twilio_auth_token)
        welcome = person.send("Jam")
        assert "1 Français\n2 Bamanankan\n3 Pulaar" in welcome
        assert "Bisimilla! Suɓo ɗemngal:" in welcome
        assert person.send("Pulaar").startswith("baro keeps what you send")
        assert "1 Habrude caɗeele" in person.send("1")
        person.converse("1", "1", "1", "Ndiyam alaa")
    with runtime.database() as db:
        assert db.scalar(select(Feedback.language)) == "ff"


def test_the_bambara_catalogue_declares_its_single_plural_form(settings):
    with (settings.locales_dir / "bm" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalogue = read_po(po)
    assert catalogue.plural_forms == "nplurals=1; plural=0;"


def test_the_bambara_catalogue_is_written_with_bambara_letters(settings):
    texts = Catalogues.load(settings.locales_dir, ["bm"])
    with (settings.locales_dir / "messages.pot").open("rb") as pot:
        translated = " ".join(texts.text("bm", Text(m.context, m.id)) for m in read_po(pot) if m.id)
    assert set("ɛɔɲ") <= set(translated)
