"""need.yaml, 2 in the main menu: tell a need, work and income included (people ask for work, not only aid).

The site (asked once, then remembered), what is needed, a few words; then the need is submitted
and its reference given, with how to follow it.
"""

from tests.flows.people import PARKED, known
from tests.flows.screens import BOTH, NEED_CATEGORIES, NEED_DESCRIPTION, NEED_DONE, REFERENCE, SITE_MENU

# ---------------------------------------------------------------------------------------------
# 2 Tell a need.


@BOTH
def test_a_need_asks_site_then_category_including_work_and_income_then_words(phone, lang):
    person = known(phone, lang)

    assert person.send("2") == SITE_MENU[lang]
    assert person.send("1") == NEED_CATEGORIES[lang]
    assert person.action("set_site").values["site"] == "niamana"
    assert person.send("8") == NEED_DESCRIPTION[lang]

    said = person.send("Je cherche du travail de maçon", reference=REFERENCE)
    assert said == NEED_DONE[lang].format(REFERENCE)
    submit = person.action("submit")
    assert (submit.arg, submit.values["category"], submit.values["site"], submit.values["text"]) == (
        "need",
        "livelihoods",
        "niamana",
        "Je cherche du travail de maçon",
    )
    assert person.position == PARKED


def test_a_need_does_not_ask_the_site_again_when_it_is_known(phone):
    person = known(phone, "bm", site="senou")

    assert person.send("2") == NEED_CATEGORIES["bm"]
    assert person.send("9") == NEED_DESCRIPTION["bm"]
    person.send("Mago bɛ ...", reference=REFERENCE)
    assert (person.action("submit").values["category"], person.action("submit").values["site"]) == ("other", "senou")
