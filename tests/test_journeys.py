"""What whole conversations cost by SMS, as they are really sent, and the budgets `baro flows check` holds them to.

Pure: the real flows and the translators' catalogues (compiled afresh, tests/flows/deployment.py), sample data,
the default settings; no database. What the SMS webhook really sends is compared with these figures in
tests/channels/test_cost_through_webhook.py.
"""

import pytest

from bot.actions import UNITS
from bot.config import Settings
from bot.engine.texts import HELP, INVALID_CHOICE_HINT, OPTED_IN
from bot.journeys import JOURNEYS, Journey, JourneyBroken, Says, report, singles, walk, walks
from bot.journeys import problems as cost_problems
from bot.menus import MENUS
from bot.outbound.gsm7 import ALPHABETS, cost, prepare
from bot.runtime import cost_samples
from bot.screens import ALL_LANGUAGES, screens
from tests.flows import deployment

flows, catalogues = deployment.flows, deployment.catalogues
LANGUAGES = deployment.LANGUAGES
DEFAULTS = Settings(_env_file=None)
BY_NAME = {journey.name: journey for journey in JOURNEYS}


@pytest.fixture(scope="module")
def data(flows, catalogues):
    return cost_samples(DEFAULTS, catalogues, flows)


@pytest.fixture(scope="module")
def screen(flows, catalogues):
    """Each screen's text by (`flow.state`, language), as bot.screens renders it alone."""
    return {(found.name, found.language): found.text for found in screens(flows, catalogues, UNITS, MENUS)}


def test_every_conversation_walks_to_what_the_person_came_for_in_every_language(data):
    walked, broken = walks(data)

    assert broken == []
    assert {(done.journey.name, done.language) for done in walked} == {
        (journey.name, lang) for journey in JOURNEYS for lang in LANGUAGES
    }
    # One reply for each message the person sends: what a turn says is one SMS, however many screens it joins.
    assert all(len(done.rounds) == len(done.journey.says) for done in walked)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_thanks_and_the_main_menu_are_one_message_costed_as_one(data, screen, lang):
    first = walk(BY_NAME["first_complaint"], lang, data)
    accepted = first.rounds[2]
    joined = screen["welcome.accepted", lang] + "\n" + screen["main.menu", lang]

    assert accepted.says.means == "consent: I accept"
    assert accepted.reply.text == joined
    for alphabet in ALPHABETS:
        assert accepted.reply.parts(alphabet) == cost(prepare(joined, alphabet)).parts


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_conversation_costs_the_sum_of_its_replies_as_written_in_the_alphabet(data, lang):
    done = walk(BY_NAME["returning_complaint"], lang, data)

    for alphabet in ALPHABETS:
        assert done.parts(alphabet) == sum(cost(prepare(one.reply.text, alphabet)).parts for one in done.rounds)
    # The confirmation quotes the reference the submission's sample gives.
    assert "K7MP3X" in done.rounds[-1].reply.text


def test_with_the_default_settings_every_conversation_keeps_to_its_budget(data):
    assert DEFAULTS.conversation_budgets["first_complaint"] == 9
    assert DEFAULTS.conversation_budgets["returning_complaint"] == 5
    assert set(DEFAULTS.conversation_budgets) == set(BY_NAME)

    assert cost_problems(data, DEFAULTS.conversation_budgets, DEFAULTS.sms_alphabet, 2) == []


def test_a_conversation_over_its_budget_is_a_problem_naming_it_its_language_parts_and_budget(data):
    parts = walk(BY_NAME["returning_complaint"], "bm", data).parts("unicode")

    found = cost_problems(data, {"returning_complaint": parts - 1}, "unicode", 10)

    assert (
        f"conversation `returning_complaint` (bm) costs {parts} SMS parts (unicode), over its budget of {parts - 1}"
        in found
    )
    assert cost_problems(data, {"returning_complaint": parts}, "unicode", 10) == []


def test_a_budget_for_a_conversation_that_does_not_exist_is_a_problem(data):
    assert cost_problems(data, {"first_complaints": 9}, "auto", 2) == [
        "CONVERSATION_BUDGETS: no conversation `first_complaints` (known: " + ", ".join(sorted(BY_NAME)) + ")"
    ]


def test_without_budgets_no_conversation_is_walked(data):
    stale = Journey("stale", "a script for other flows", (Says("Bonjour", "a greeting"),), done=("submit", "need"))

    assert cost_problems(data, {}, "auto", 2, journeys=[stale]) == []
    assert "journey `stale`" in cost_problems(data, {"stale": 5}, "auto", 2, journeys=[stale])[0]


def test_a_script_that_no_longer_leads_where_it_should_fails_naming_the_message_and_where_it_stood(data):
    wrong_answer = Journey(
        "typo",
        "a category that does not exist",
        (Says("Bonjour", "a greeting"), Says("1", "report a problem"), Says("9", "no such category")),
        done=("submit", "complaint"),
    )
    with pytest.raises(JourneyBroken) as refused:
        walk(wrong_answer, "fr", data)
    assert "journey `typo` (fr), message 3 '9' (no such category), sent at complaint.category:" in str(refused.value)
    assert "the question was asked again" in str(refused.value)

    short = Journey(
        "short",
        "stops half-way",
        (Says("Bonjour", "a greeting"), Says("1", "report a problem")),
        ("submit", "complaint"),
    )
    with pytest.raises(JourneyBroken) as refused:
        walk(short, "bm", data)
    assert "message 2 '1' (report a problem), sent at main.menu:" in str(refused.value)
    assert "should do `submit: complaint` but did nothing" in str(refused.value)


def test_a_text_of_ours_over_an_sms_replys_limit_is_a_problem_and_a_staff_text_is_not(data):
    found = cost_problems(data, {}, "unicode", 1)

    assert any(line.startswith("text `asked again: main.menu` (bm) needs ") for line in found)
    assert any(line.startswith("text `START` (fr) needs 2 SMS parts (unicode), over 1") for line in found)
    assert not any("staff reply" in line or "case resolved" in line for line in found)
    assert [single.name for single in singles(data) if not single.ours and single.language == "fr"] == [
        "case resolved (staff's outcome)",
        "staff reply: We received your message and are looking into it",
        "staff reply: Your case was passed to a partner organisation",
        "staff reply: Please come to the site office on ...",
    ]


def test_keywords_answers_and_questions_asked_again_are_costed_as_sent(data, catalogues, screen):
    found = {(single.name, single.language): single.reply.text for single in singles(data)}

    assert found["HELP (new person)", ALL_LANGUAGES] == "\n".join(catalogues.text(lang, HELP) for lang in LANGUAGES)
    for lang in LANGUAGES:
        assert found["START", lang] == catalogues.text(lang, OPTED_IN) + "\n" + screen["main.menu", lang]
        hint = catalogues.text(lang, INVALID_CHOICE_HINT)
        assert found["asked again: complaint.category", lang] == hint + "\n" + screen["complaint.category", lang]


def test_the_report_has_every_conversation_under_every_alphabet_per_language(data):
    lines = report(data, DEFAULTS.conversation_budgets, "auto", 2, turns=True)
    text = "\n".join(lines)

    rows = [line.split() for line in lines if line.startswith("first_complaint ")]
    assert len(rows) == len(LANGUAGES)  # one table per language, in order
    for lang, row in zip(LANGUAGES, rows, strict=True):
        first = walk(BY_NAME["first_complaint"], lang, data)
        assert row[1:] == ["7", *(str(first.parts(alphabet)) for alphabet in ALPHABETS), "9"]
    assert "consent: I accept" in text  # the reply-by-reply detail
    assert "Broadcasts are written by organizers" in text
