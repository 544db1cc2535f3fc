"""assembly.yaml, 3 in the main menu: sign up for a citizen assembly at the person's site.

The assemblies of the person's site only (tests/flows/people.py's ASSEMBLIES: Sénou has one; Niamana
three, the 2nd full, the 3rd already the person's; Faladié none), a confirmation and a sign-up; the
waiting list of a full one; the person's own reference for one they are already signed up for; and,
where none is planned, the offer to be told of the next.
"""

from datetime import datetime, timedelta, timezone

from babel.dates import format_datetime

from tests.flows.people import PARKED, assembly, known
from tests.flows.screens import (
    BOTH,
    CANCELLED_FROM_MENU,
    CONFIRM,
    FEMMES,
    FULL,
    JEUNES,
    MAIN_MENU,
    NONE_COMING,
    NOTED,
    PICK_A_NUMBER,
    SENOU_DAY,
    SIGNED_UP,
    SIGNUP_REFERENCE,
    SITE_MENU,
    WAITING,
    ended,
    written,
)

# ---------------------------------------------------------------------------------------------
# 3 Citizen assembly: the assemblies of the person's site, a confirmation, a sign-up.


def test_assembly_dates_are_written_out_in_each_language():
    # The French is pinned word for word; the Bambara names come from Babel's `bm` locale.
    assert written(FEMMES, "fr") == "dimanche 29 novembre, 10:00"
    assert written(JEUNES, "fr") == "samedi 5 décembre, 09:30"
    bambara = written(FEMMES, "bm")
    assert bambara.startswith(format_datetime(FEMMES, "EEEE", locale="bm") + " 29 ")
    assert bambara.endswith(", 10:00")
    assert "dimanche" not in bambara and "novembre" not in bambara


@BOTH
def test_an_assembly_sign_up_lists_the_sites_assemblies_then_confirms_and_signs_up(phone, screen, lang):
    person = known(phone, lang, site="niamana")

    assert person.send("3") == screen.niamana_assemblies(lang)  # the site is known: not asked again
    assert person.actions == []
    assert person.waiting_at == "assembly.pick"

    assert person.send("1") == CONFIRM[lang].format("Assemblée des femmes", written(FEMMES, lang))
    assert person.actions == []
    assert person.waiting_at == "assembly.confirm"

    said = person.send("1", reference=SIGNUP_REFERENCE, signup=SIGNED_UP)
    assert said == screen.signed(lang, SIGNED_UP)
    assert person.actions == ["sign_up"]
    sign_up = person.action("sign_up")
    assert sign_up.arg == "confirmed"
    assert {
        key: sign_up.values.get(key) for key in ("assembly", "site", "language", "assembly_title", "assembly_when")
    } == {
        "assembly": "11",
        "site": "niamana",
        "language": lang,
        "assembly_title": "Assemblée des femmes",
        "assembly_when": FEMMES,
    }
    assert person.position == PARKED


@BOTH
def test_an_assembly_sign_up_asks_the_site_first_when_it_is_not_known(phone, screen, lang):
    person = known(phone, lang)

    assert person.send("3") == SITE_MENU[lang]
    assert person.waiting_at == "assembly.site"

    assert person.send("2") == screen.senou_assemblies(lang)
    assert person.actions == ["set_site"]
    assert person.action("set_site").values["site"] == "senou"

    assert person.send("1") == CONFIRM[lang].format("Assemblée de Sénou", written(SENOU_DAY, lang))
    person.send("1", reference=SIGNUP_REFERENCE, signup=SIGNED_UP)
    assert (person.action("sign_up").arg, person.action("sign_up").values["assembly"]) == ("confirmed", "21")


@BOTH
def test_the_list_is_numbered_from_1_among_the_sites_assemblies_only(phone, lang):
    # In the data, Sénou's assembly comes first and Niamana's full one third: at Niamana it is 2.
    person = known(phone, lang, site="niamana")
    person.send("3")

    assert person.send("2") == FULL[lang]
    assert person.position["vars"]["assembly"] == "12"


@BOTH
def test_saying_no_to_the_confirmation_returns_to_the_main_menu_without_signing_up(phone, screen, lang):
    person = known(phone, lang, site="niamana")
    person.send("3")
    person.send("1")

    assert person.send("2") == MAIN_MENU[lang]
    assert person.actions == []
    assert person.waiting_at == "main.menu"
    assert person.send("4").startswith(screen.confidential_what(lang))  # and the menu answers as usual


@BOTH
def test_a_full_assembly_offers_its_waiting_list_and_yes_puts_the_person_on_it(phone, screen, lang):
    person = known(phone, lang, site="niamana")
    person.send("3")

    assert person.send("2") == FULL[lang]
    assert person.actions == []
    assert person.waiting_at == "assembly.full"

    said = person.send("1", reference=SIGNUP_REFERENCE, signup=WAITING)
    assert said == screen.signed(lang, WAITING)
    assert person.actions == ["sign_up"]
    assert (person.action("sign_up").arg, person.action("sign_up").values["assembly"]) == ("waiting", "12")
    assert person.position == PARKED


@BOTH
def test_no_to_the_waiting_list_returns_to_the_main_menu(phone, lang):
    person = known(phone, lang, site="niamana")
    person.send("3")
    person.send("2")

    assert person.send("2") == MAIN_MENU[lang]
    assert person.actions == []
    assert person.waiting_at == "main.menu"


@BOTH
def test_an_assembly_the_person_is_already_signed_up_for_says_so_with_its_reference(phone, screen, lang):
    person = known(phone, lang, site="niamana")
    person.send("3")

    assert person.send("3", reference="OTHER1") == screen.already(lang, "M4RX7Q")  # the sign-up's own reference
    assert person.actions == []
    assert person.waiting_at == "assembly.already"


@BOTH
def test_an_assembly_the_person_is_signed_up_for_can_be_given_up_from_the_list(phone, screen, lang):
    person = known(phone, lang, site="niamana")
    person.send("3")
    person.send("3")

    said = person.send("1", cancelled=CANCELLED_FROM_MENU)
    assert said == ended(lang, screen.filled(lang, CANCELLED_FROM_MENU))
    assert person.actions == ["cancel_signup"]
    assert person.action("cancel_signup").values["assembly"] == "13"  # that assembly, not another
    assert person.position == PARKED


@BOTH
def test_keeping_the_sign_up_returns_to_the_main_menu(phone, lang):
    person = known(phone, lang, site="niamana")
    person.send("3")
    person.send("3")

    assert person.send("2") == MAIN_MENU[lang]
    assert person.actions == []
    assert person.waiting_at == "main.menu"


@BOTH
def test_already_signed_up_wins_over_full(phone, screen, lang):
    mine_and_full = assembly(
        31, "niamana", "Assemblée du marché", JEUNES, "Marché", full=True, mine=True, reference="H3JK9P"
    )
    person = known(phone, lang, site="niamana", choices={"assemblies": (mine_and_full,)})
    person.send("3")

    assert person.send("1") == screen.already(lang, "H3JK9P")
    assert person.actions == []


@BOTH
def test_a_site_without_assemblies_says_so_and_yes_asks_to_be_told_of_the_next(phone, lang):
    person = known(phone, lang, site="faladie")

    assert person.send("3") == NONE_COMING[lang]
    assert person.waiting_at == "assembly.none_coming"

    assert person.send("1") == NOTED[lang]
    assert person.actions == ["notify_assemblies"]
    assert person.action("notify_assemblies").values["site"] == "faladie"
    assert person.position == PARKED


@BOTH
def test_no_assembly_anywhere_and_no_to_being_told_returns_to_the_main_menu(phone, lang):
    person = known(phone, lang, site="niamana", choices={"assemblies": ()})

    assert person.send("3") == NONE_COMING[lang]
    assert person.send("2") == MAIN_MENU[lang]
    assert person.actions == []


@BOTH
def test_choosing_a_site_with_no_assembly_goes_straight_to_the_offer_to_be_told(phone, lang):
    person = known(phone, lang)
    person.send("3")

    assert person.send("3") == NONE_COMING[lang]  # Faladié
    assert person.actions == ["set_site"]
    assert person.send("1") == NOTED[lang]
    assert person.action("notify_assemblies").values["site"] == "faladie"


@BOTH
def test_an_assembly_of_another_site_is_never_listed_nor_selectable(phone, screen, lang):
    person = known(phone, lang, site="senou")

    said = person.send("3")
    assert said == screen.senou_assemblies(lang)
    assert "Niamana" not in said and "femmes" not in said and "jeunes" not in said

    # Sénou has one assembly: "2" is no answer, even though the data holds four.
    assert person.send("2") == PICK_A_NUMBER[lang] + "\n" + screen.senou_assemblies(lang)
    assert person.waiting_at == "assembly.pick"
    # Nor is an assembly's id (the Niamana one is 11), nor its title.
    assert person.send("11") == PICK_A_NUMBER[lang] + "\n" + screen.senou_assemblies(lang)
    assert person.send("Assemblée des femmes") == PICK_A_NUMBER[lang] + "\n" + screen.senou_assemblies(lang)
    assert person.actions == []


@BOTH
def test_only_other_sites_assemblies_count_as_none_at_the_persons_site(phone, lang):
    elsewhere = (assembly(41, "senou", "Assemblée de Sénou", SENOU_DAY, "École B"),)
    person = known(phone, lang, site="niamana", choices={"assemblies": elsewhere})

    assert person.send("3") == NONE_COMING[lang]


@BOTH
def test_an_answer_not_in_the_assembly_list_repeats_it_with_the_hint(phone, screen, lang):
    person = known(phone, lang, site="niamana")
    person.send("3")

    assert person.send("4") == PICK_A_NUMBER[lang] + "\n" + screen.niamana_assemblies(lang)
    assert person.waiting_at == "assembly.pick"
    assert person.send("1") == CONFIRM[lang].format("Assemblée des femmes", written(FEMMES, lang))


def test_an_assembly_time_is_written_in_the_deployments_timezone(phone, screen):
    # Stored at 11:00 in UTC+1, it is 10:00 in Bamako (UTC, the catalogues' timezone here).
    at = datetime(2026, 11, 29, 11, 0, tzinfo=timezone(timedelta(hours=1)))
    person = known(phone, "fr", site="niamana", choices={"assemblies": (assembly(51, "niamana", "AG", at, "Ici"),)})

    assert person.send("3") == screen.assemblies("fr", "AG, dimanche 29 novembre, 10:00, Ici")
    assert person.send("1") == CONFIRM["fr"].format("AG", "dimanche 29 novembre, 10:00")


def test_the_sign_up_reply_leaves_its_placeholders_visible_if_nothing_was_passed(phone):
    person = known(phone, "fr", site="niamana")
    person.send("3")
    person.send("1")

    assert person.send("1") == "{signup}\n0 Menu"  # what the sign-up did, with the assembly: the action passes it
