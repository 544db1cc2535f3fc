"""People move: the site can be changed, from the main menu (6) and when a remembered site is old.

A site chosen or confirmed longer ago than SITE_CONFIRM_DAYS (the conversation layer's `site_confirmed`
fact is false) is checked before a complaint, a need or an assembly sign-up: "Still at Sénou?". Yes keeps
it, "No, I moved" asks the new one. A site chosen or confirmed recently is not asked about: it costs an SMS.
"""

import pytest

from tests.flows.people import PARKED, known
from tests.flows.screens import (
    BOTH,
    COMPLAINT_CATEGORIES,
    MAIN_MENU,
    NEED_CATEGORIES,
    NEW_SITE_MENU,
    REFERENCE,
    SETTINGS_MENU,
    SITE_CHANGED,
    SITE_MENU,
    STILL_AT,
)

# ---------------------------------------------------------------------------------------------
# A remembered site that is old: checked before it is used.


@BOTH
@pytest.mark.parametrize(("choice", "flow"), [("1", "complaint"), ("2", "need"), ("3", "assembly")])
def test_a_report_by_someone_whose_site_is_old_first_asks_whether_they_still_live_there(phone, lang, choice, flow):
    person = known(phone, lang, site="senou", site_confirmed=False)

    assert person.send(choice) == STILL_AT[lang].format("Sénou")
    assert person.actions == []
    assert person.waiting_at == f"{flow}.still_there"


@BOTH
def test_still_there_keeps_the_site_and_the_report_goes_on(phone, lang):
    person = known(phone, lang, site="senou", site_confirmed=False)
    person.send("1")

    assert person.send("1") == COMPLAINT_CATEGORIES[lang]
    assert person.actions == ["confirm_site"]
    person.send("3")
    person.send("Pas de médecin au centre", reference=REFERENCE)
    assert person.action("submit").values["site"] == "senou"
    assert person.position == PARKED


@BOTH
def test_moved_asks_the_new_site_remembers_it_and_files_the_report_there(phone, lang):
    person = known(phone, lang, site="senou", site_confirmed=False)
    person.send("2")

    assert person.send("2") == NEW_SITE_MENU[lang]
    assert person.waiting_at == "need.moved"
    assert person.send("3") == NEED_CATEGORIES[lang]
    assert person.actions == ["set_site"]
    assert person.action("set_site").values["site"] == "faladie"
    person.send("4")
    person.send("Nous avons besoin de riz", reference=REFERENCE)
    assert person.action("submit").values["site"] == "faladie"


def test_someone_who_moved_sees_the_assemblies_of_their_new_site(phone, screen):
    person = known(phone, "fr", site="senou", site_confirmed=False)
    person.send("3")
    person.send("2")

    assert person.send("1") == screen.niamana_assemblies("fr")


def test_once_confirmed_the_site_is_not_asked_about_again(phone):
    person = known(phone, "fr", site="senou", site_confirmed=False)
    person.send("1")
    person.send("1")
    person.send("3")
    person.send("Pas de médecin", reference=REFERENCE)

    assert person.send("2") == NEED_CATEGORIES["fr"]


def test_the_answer_may_be_the_word_on_the_screen(phone):
    person = known(phone, "fr", site="senou", site_confirmed=False)
    person.send("1")

    assert person.send("oui") == COMPLAINT_CATEGORIES["fr"]
    assert person.actions == ["confirm_site"]


# ---------------------------------------------------------------------------------------------
# A site chosen or confirmed recently, or just now: not asked about.


@BOTH
@pytest.mark.parametrize(("choice", "first"), [("1", COMPLAINT_CATEGORIES), ("2", NEED_CATEGORIES)])
def test_a_returning_person_whose_site_is_recent_is_not_asked_about_it(phone, lang, choice, first):
    person = known(phone, lang, site="senou", site_confirmed=True)

    assert person.send(choice) == first[lang]


@BOTH
def test_a_site_chosen_in_this_report_is_not_checked_again(phone, lang):
    person = known(phone, lang)

    assert person.send("1") == SITE_MENU[lang]
    assert person.send("2") == COMPLAINT_CATEGORIES[lang]  # no "still at Sénou?"
    assert person.actions == ["set_site"]


# ---------------------------------------------------------------------------------------------
# 6 at the main menu: the site, changed at any time.


@BOTH
def test_the_site_is_changed_from_the_main_menu_and_the_next_report_goes_there(phone, lang):
    person = known(phone, lang, site="senou")

    assert person.send("6") == SETTINGS_MENU[lang]
    assert person.send("2") == NEW_SITE_MENU[lang]
    assert person.waiting_at == "main.site"
    assert person.send("3") == SITE_CHANGED[lang].format("Faladié") + "\n" + MAIN_MENU[lang]
    assert person.actions == ["set_site"]
    assert person.action("set_site").values["site"] == "faladie"
    assert person.waiting_at == "main.menu"

    assert person.send("1") == COMPLAINT_CATEGORIES[lang]  # neither the site nor "still at?" is asked
    person.send("1")
    person.send("Le toit fuit", reference=REFERENCE)
    assert person.action("submit").values["site"] == "faladie"


def test_someone_whose_site_was_never_given_can_give_it_from_the_main_menu(phone):
    person = known(phone, "fr")
    person.send("6")
    person.send("2")

    assert person.send("Niamana") == SITE_CHANGED["fr"].format("Niamana") + "\n" + MAIN_MENU["fr"]
    assert person.send("1") == COMPLAINT_CATEGORIES["fr"]
