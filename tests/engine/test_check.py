"""The flow validator: a broken flow is named, with its file and its state, before it can load.

Each test copies the real flows/ into a temporary directory, breaks one thing, and reads the
problem list the way the person who broke it would (`baro flows check`).
"""

import pytest

from bot.engine.check import check_flows, load_and_check
from bot.engine.flow import load_flows
from bot.flows import REGISTRY


class AllTranslated:
    """A TextSource where every text has a translation identical to its msgid, so that only
    the shape of the flows can produce problems."""

    languages = ("fr", "bm")

    def translated(self, lang, text):
        return text.msgid


class CataloguesExcept:
    """The real catalogues, except for the translations given here (None: missing)."""

    def __init__(self, catalogues, changes: dict):
        self.catalogues = catalogues
        self.changes = changes
        self.languages = catalogues.languages

    def translated(self, lang, text):
        if (lang, text.msgid) in self.changes:
            return self.changes[(lang, text.msgid)]
        return self.catalogues.translated(lang, text)


def problems_of(flow_copy, texts=None):
    _flows, problems = load_and_check(flow_copy.dir, REGISTRY, texts or AllTranslated())
    return problems


# ---------------------------------------------------------------------------------------------
# The real thing.


def test_the_real_flows_with_the_real_catalogues_have_no_problem(flows_dir, catalogues):
    flows, problems = load_and_check(flows_dir, REGISTRY, catalogues)

    assert problems == []
    assert set(flows.flows) == {
        "welcome", "main", "complaint", "need", "assembly", "confidential", "followup", "cancel"
    }


def test_the_real_flows_are_complete_in_every_language(flows, catalogues):
    assert catalogues.languages == ("fr", "bm")
    assert check_flows(flows, catalogues) == []


# ---------------------------------------------------------------------------------------------
# Where a state goes.


def test_an_option_going_to_a_state_that_does_not_exist_is_named(flow_copy):
    def misspell(doc):
        option = doc["states"]["menu"]["options"][5]
        assert option["next"] == "settings"
        option["next"] = "setings"

    flow_copy.edit("main", misspell)

    assert problems_of(flow_copy) == ["main.yaml: state `menu`: goes to unknown target `setings`"]


def test_a_branch_going_to_a_state_that_does_not_exist_is_named(flow_copy):
    def misspell(doc):
        branch = doc["states"]["pick"]["branch"][1]
        assert branch == {"if": "assembly_full", "next": "full"}
        branch["next"] = "ful"

    flow_copy.edit("assembly", misspell)

    assert problems_of(flow_copy) == ["assembly.yaml: state `pick`: goes to unknown target `ful`"]


def test_an_if_empty_going_to_a_state_that_does_not_exist_is_named(flow_copy):
    flow_copy.edit("followup", lambda doc: doc["states"]["reference"].update(if_empty="type_ref"))

    assert problems_of(flow_copy) == ["followup.yaml: state `reference`: goes to unknown target `type_ref`"]


def test_an_option_going_to_a_flow_that_does_not_exist_is_named(flow_copy):
    flow_copy.edit("main", lambda doc: doc["states"]["menu"]["options"][3].update(next="@survey"))

    assert problems_of(flow_copy) == ["main.yaml: state `menu`: goes to unknown target `@survey`"]


def test_a_next_going_to_a_state_that_does_not_exist_is_named(flow_copy):
    flow_copy.edit("complaint", lambda doc: doc["states"]["category"].update(next="descripton"))

    assert problems_of(flow_copy) == ["complaint.yaml: state `category`: goes to unknown target `descripton`"]


def test_a_state_nothing_leads_to_is_named_as_unreachable(flow_copy):
    def add_photo(doc):
        doc["states"]["photo"] = {"prompt": "Send a photo of the problem.", "input": "text", "next": "description"}

    flow_copy.edit("complaint", add_photo)

    assert problems_of(flow_copy) == ["complaint.yaml: state `photo`: unreachable from the start"]


def test_a_whole_flow_nothing_leads_to_is_named_state_by_state(flow_copy):
    flow_copy.write("survey", "start: ask\nstates:\n  ask:\n    prompt: Any idea?\n    input: text\n    next: thanks\n"
                    "  thanks:\n    prompt: Thanks.\n")

    assert problems_of(flow_copy) == [
        "survey.yaml: state `ask`: unreachable from the start",
        "survey.yaml: state `thanks`: unreachable from the start",
    ]


def test_a_loop_of_menus_that_never_ends_nor_reaches_the_main_menu_is_named(flow_copy):
    def add_loop(doc):
        other = doc["states"]["category"]["options"][-1]
        assert other["value"] == "other"
        other["next"] = "loop_a"
        doc["states"]["loop_a"] = {"prompt": "Are you sure?", "options": [{"label": "Yes", "next": "loop_b"}]}
        doc["states"]["loop_b"] = {"prompt": "Really sure?", "options": [{"label": "Yes", "next": "loop_a"}]}

    flow_copy.edit("need", add_loop)

    assert problems_of(flow_copy) == [
        "need.yaml: state `loop_a`: no way back (never ends, never reaches the main menu)",
        "need.yaml: state `loop_b`: no way back (never ends, never reaches the main menu)",
    ]


def test_a_loop_of_messages_is_named_for_every_state_caught_in_it(flow_copy):
    def add_loop(doc):
        doc["states"]["done"]["next"] = "again"
        doc["states"]["again"] = {"prompt": "Again.", "next": "done"}

    flow_copy.edit("complaint", add_loop)
    problems = problems_of(flow_copy)

    assert "complaint.yaml: state `done`: no way back (never ends, never reaches the main menu)" in problems
    assert "complaint.yaml: state `again`: no way back (never ends, never reaches the main menu)" in problems
    assert all(problem.startswith("complaint.yaml: state `") for problem in problems)


def test_a_loop_back_to_the_main_menu_is_a_way_back(flow_copy):
    def back_to_menu(doc):
        assert "next" not in doc["states"]["already"]
        doc["states"]["already"]["next"] = "@main"

    flow_copy.edit("assembly", back_to_menu)

    assert problems_of(flow_copy) == []


def test_skip_if_without_a_next_to_skip_to_is_named(flow_copy):
    flow_copy.edit("complaint", lambda doc: doc["states"]["site"].pop("next"))

    assert problems_of(flow_copy) == ["complaint.yaml: state `site`: `skip_if` needs a `next` to skip to"]


def test_two_options_with_the_same_key_are_named(flow_copy):
    flow_copy.edit("main", lambda doc: doc["states"]["menu"]["options"][5].update(key=5))

    assert problems_of(flow_copy) == ["main.yaml: state `menu`: two options share a key"]


def test_a_menu_option_that_leads_nowhere_is_named(flow_copy):
    flow_copy.edit("assembly", lambda doc: doc["states"]["confirm"]["options"][1].pop("next"))

    assert problems_of(flow_copy) == ["assembly.yaml: state `confirm`: an option leads nowhere"]


@pytest.mark.parametrize("name", ["welcome", "main"])
def test_a_deployment_without_the_welcome_or_main_flow_is_told_so(flow_copy, name):
    flow_copy.remove(name)

    assert problems_of(flow_copy) == [f"{name}.yaml: missing; every deployment needs it"]


def test_a_target_written_as_a_number_is_reported_not_crashed_on(flow_copy):
    flow_copy.edit("main", lambda doc: doc["states"]["menu"]["options"][2].update(next=5))

    assert problems_of(flow_copy) == ["main.yaml: state `menu`: goes to unknown target `5`"]


# ---------------------------------------------------------------------------------------------
# Translations.


def test_a_prompt_missing_in_one_language_is_named_with_the_language(flow_copy, catalogues):
    texts = CataloguesExcept(catalogues, {("bm", "Describe the problem in a few words."): None})

    assert problems_of(flow_copy, texts) == [
        "complaint.yaml: state `description`: no `bm` text for 'Describe the problem in a few words.'"
    ]


def test_an_option_label_missing_in_one_language_is_named_with_the_language(flow_copy, catalogues):
    texts = CataloguesExcept(catalogues, {("fr", "Work and income"): None})

    assert problems_of(flow_copy, texts) == ["need.yaml: state `category`: no `fr` text for 'Work and income'"]


def test_a_new_text_not_yet_translated_is_named_for_each_language(flow_copy, catalogues):
    def reword(doc):
        doc["states"]["category"]["options"][0]["label"] = "A place to live"

    flow_copy.edit("need", reword)

    assert problems_of(flow_copy, catalogues) == [
        "need.yaml: state `category`: no `fr` text for 'A place to live'",
        "need.yaml: state `category`: no `bm` text for 'A place to live'",
    ]


# ---------------------------------------------------------------------------------------------
# A menu may only save the codes its flow's actions accept (bot.vocabulary).


def test_a_category_that_is_not_in_the_vocabulary_is_named(flow_copy):
    def add_option(doc):
        doc["states"]["category"]["options"].insert(-1, {"label": "Land", "value": "land"})

    flow_copy.edit("need", add_option)

    assert problems_of(flow_copy) == [
        "need.yaml: state `category`: option 9 saves `land` as `category`, not one of documents, education, food,"
        " health, livelihoods, other, security, shelter, water_sanitation"
    ]


def test_a_category_of_another_kind_is_named(flow_copy):
    def offer_violence(doc):
        doc["states"]["category"]["options"][0]["value"] = "violence"

    flow_copy.edit("complaint", offer_violence)

    assert [problem.split(",")[0] for problem in problems_of(flow_copy)] == [
        "complaint.yaml: state `category`: option 1 saves `violence` as `category`"
    ]


def test_a_call_back_answer_outside_the_vocabulary_is_named(flow_copy):
    def add_answer(doc):
        doc["states"]["callback"]["options"].append({"label": "Maybe", "value": "maybe"})

    flow_copy.edit("confidential", add_answer)

    assert problems_of(flow_copy) == [
        "confidential.yaml: state `callback`: option 4 saves `maybe` as `callback`, not one of no, other, this_number"
    ]


DONE = "Thank you, your complaint is recorded. Reference: {reference}. To follow it, send 5."


@pytest.mark.parametrize(
    "translation",
    [
        "Merci, votre plainte est enregistrée. Référence : {ref}. Pour la suivre, envoyez 5.",
        "Merci, votre plainte est enregistrée. Pour la suivre, envoyez 5.",
        "Merci, votre plainte est enregistrée. Référence : {référence}. Pour la suivre, envoyez 5.",
        "Merci {name}, votre plainte est enregistrée. Référence : {reference}.",
    ],
)
def test_a_translation_that_changes_the_placeholders_is_named(flow_copy, catalogues, translation):
    texts = CataloguesExcept(catalogues, {("fr", DONE): translation})

    assert problems_of(flow_copy, texts) == [
        f"complaint.yaml: state `done`: the `fr` text of {DONE!r} changes its {{placeholders}}"
    ]


def test_a_translation_that_adds_a_placeholder_to_a_plain_text_is_named(flow_copy, catalogues):
    texts = CataloguesExcept(catalogues, {("bm", "Thank you."): "Aw ni ce {name}."})

    assert problems_of(flow_copy, texts) == [
        "welcome.yaml: state `accepted`: the `bm` text of 'Thank you.' changes its {placeholders}"
    ]


def test_a_translation_that_moves_the_placeholder_is_fine(flow_copy, catalogues):
    texts = CataloguesExcept(catalogues, {("bm", DONE): "{reference}: aw ka gɛlɛya sɛbɛnna."})

    assert problems_of(flow_copy, texts) == []


# ---------------------------------------------------------------------------------------------
# Documents that cannot load.


def test_documents_that_cannot_load_are_all_named_and_nothing_is_loaded(flow_copy):
    flow_copy.write("need", "flow: need\nstart: site\nstates:\n  site: [unclosed\n")
    flow_copy.edit("complaint", lambda doc: doc["states"]["site"].update(ask="again"))

    flows, problems = load_and_check(flow_copy.dir, REGISTRY, AllTranslated())

    assert flows is None
    assert len(problems) == 2
    assert problems[0].startswith("complaint.yaml: state `site`: unknown keys ['ask']")
    assert problems[1].startswith("need.yaml: not valid YAML")


def test_a_flow_set_with_problems_is_still_returned_with_them(flow_copy):
    flow_copy.edit("complaint", lambda doc: doc["states"]["category"].update(next="descripton"))

    flows, problems = load_and_check(flow_copy.dir, REGISTRY, AllTranslated())

    assert set(flows.flows) == {
        "welcome", "main", "complaint", "need", "assembly", "confidential", "followup", "cancel"
    }
    assert problems == ["complaint.yaml: state `category`: goes to unknown target `descripton`"]


def test_check_flows_reports_for_a_flow_set_loaded_elsewhere(flow_copy):
    flow_copy.edit("complaint", lambda doc: doc["states"]["site"].pop("next"))

    assert check_flows(load_flows(flow_copy.dir, REGISTRY), AllTranslated()) == [
        "complaint.yaml: state `site`: `skip_if` needs a `next` to skip to"
    ]
