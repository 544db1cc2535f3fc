"""followup.yaml, 5 in the main menu: what became of something I sent?

One of the person's own references, by its number in the list or typed, or any reference typed when
none is listed; the answer quotes the reference and its status in the person's language.
"""

from bot.actions.status_texts import NOT_FOUND, STATUS
from tests.flows.people import MY_REFERENCES, PARKED, known
from tests.flows.screens import BOTH, TYPE_REFERENCE, WRITE_IN_WORDS

# ---------------------------------------------------------------------------------------------
# 5 Follow a reference: one of the person's own, by its number in the list, or typed.


@BOTH
def test_follow_up_lists_the_persons_references_and_a_number_picks_one(phone, screen, lang):
    person = known(phone, lang, choices=MY_REFERENCES)

    assert person.send("5") == screen.followup_menu(lang, "K7Q2MX", "P3HW9A")
    assert person.waiting_at == "followup.reference"
    assert person.actions == []

    said = person.send("2", reference="P3HW9A", status=STATUS["in_progress"])
    assert said == screen.status(lang, "P3HW9A", STATUS["in_progress"])
    assert person.actions == ["lookup_reference"]
    assert person.action("lookup_reference").values["reference"] == "P3HW9A"
    assert person.position == PARKED


@BOTH
def test_follow_up_takes_a_reference_typed_instead_of_a_number(phone, screen, lang):
    person = known(phone, lang, choices=MY_REFERENCES)
    person.send("5")

    # The conversation layer cleans what was typed (bot/effects.py) and passes it back to quote.
    said = person.send(" k7mp3x ", reference="K7MP3X", status=STATUS["in_progress"])
    assert said == screen.status(lang, "K7MP3X", STATUS["in_progress"])
    assert person.actions == ["lookup_reference"]
    assert person.action("lookup_reference").values["reference"] == "k7mp3x"  # as typed, spaces around dropped
    assert person.position == PARKED


def test_a_listed_reference_typed_in_lower_case_is_that_choice(phone):
    person = known(phone, "fr", choices=MY_REFERENCES)
    person.send("5")
    person.send("p3hw9a")

    assert person.action("lookup_reference").values["reference"] == "P3HW9A"


@BOTH
def test_follow_up_without_references_asks_to_type_one(phone, screen, lang):
    person = known(phone, lang, choices={"my_references": ()})

    assert person.send("5") == TYPE_REFERENCE[lang]
    assert person.waiting_at == "followup.type_reference"
    assert person.actions == []

    said = person.send("K7Q2MX", reference="K7Q2MX", status=STATUS["in_progress"])
    assert said == screen.status(lang, "K7Q2MX", STATUS["in_progress"])
    assert person.actions == ["lookup_reference"]
    assert person.action("lookup_reference").values["reference"] == "K7Q2MX"
    assert person.position == PARKED


@BOTH
def test_follow_up_status_quotes_the_not_found_text_in_the_persons_language(phone, screen, lang):
    person = known(phone, lang)
    person.send("5")

    said = person.send("ZZZZZZ", reference="ZZZZZZ", status=NOT_FOUND)
    assert said == screen.status(lang, "ZZZZZZ", NOT_FOUND)


@BOTH
def test_an_empty_reference_asks_for_it_again(phone, lang):
    person = known(phone, lang)
    person.send("5")

    assert person.send("  ") == WRITE_IN_WORDS[lang] + "\n" + TYPE_REFERENCE[lang]
    assert person.actions == []
    assert person.waiting_at == "followup.type_reference"
