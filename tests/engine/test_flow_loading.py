"""Flow documents: the YAML in flows/ becomes frozen objects, or a FlowError naming the file."""

import dataclasses

import pytest

from bot.engine.check import load_and_check
from bot.engine.flow import ActionCall, FlowError, Text, load_flow, load_flows
from bot.flows import REGISTRY

# ---------------------------------------------------------------------------------------------
# The real flows.


def test_the_deployment_has_its_eight_flows_entering_at_welcome(flows):
    assert set(flows.flows) == {
        "welcome", "main", "complaint", "need", "assembly", "confidential", "followup", "cancel"
    }
    assert (flows.entry, flows.main, flows.cancel) == ("welcome", "main", "cancel")
    assert {name: flow.start for name, flow in flows.flows.items()} == {
        "welcome": "language",
        "main": "menu",
        "complaint": "site",
        "need": "site",
        "assembly": "site",
        "confidential": "what",
        "followup": "reference",
        "cancel": "done",
    }


def test_the_main_menu_numbers_are_the_ones_on_the_posters(flows):
    menu = flows.state("main", "menu")

    assert [(o.key, o.label.msgid, o.next) for o in menu.options] == [
        ("1", "Report a problem", "@complaint"),
        ("2", "Tell a need", "@need"),
        ("3", "Citizen assembly", "@assembly"),
        ("4", "Confidential report", "@confidential"),
        ("5", "Follow a reference", "@followup"),
        ("6", "Language and site", "settings"),
    ]
    assert flows.resolve("main", "@complaint") == ("complaint", "site")
    assert flows.resolve("main", "@assembly") == ("assembly", "site")
    assert flows.resolve("main", "@confidential") == ("confidential", "what")
    assert flows.resolve("main", "@followup") == ("followup", "reference")
    assert flows.resolve("main", "language") == ("main", "language")


def test_options_are_numbered_in_order_and_their_value_is_given_or_their_number(flows):
    consent = flows.state("welcome", "consent")
    need = flows.state("need", "category")

    assert [(o.key, o.value) for o in consent.options] == [("1", "yes"), ("2", "no")]
    assert [o.key for o in need.options] == [str(n) for n in range(1, 10)]
    assert ("Work and income", "livelihoods") in [(o.label.msgid, o.value) for o in need.options]
    # The main menu's numbers lead elsewhere and save nothing: its `save` keeps a problem written out instead.
    assert [o.value for o in flows.state("main", "menu").options] == [None] * 6


def test_each_text_carries_its_flow_and_state_as_translation_context(flows):
    category = flows.state("complaint", "category")

    assert category.prompt == Text("complaint.category", "What is your complaint about?")
    assert category.options[0].label == Text("complaint.category", "Shelter")
    # The same English words in two flows are two texts, translated separately.
    assert flows.state("need", "site").prompt == Text("need.site", "Which site do you live in?")


def test_the_actions_and_the_kinds_of_question_are_read(flows):
    language = flows.state("welcome", "language")
    description = flows.state("complaint", "description")
    consent = flows.state("welcome", "consent")

    assert (language.choose, language.save, language.skip_if, language.all_languages) == (
        "languages",
        "language",
        "language",
        True,
    )
    assert language.actions == (ActionCall("set_language"),)
    assert (description.text_input, description.save, description.answer_with, description.waits) == (
        True,
        "text",
        "said",
        True,
    )
    assert [(o.key, o.next) for o in description.options] == [("0", "@main")]  # the way back
    assert description.actions == (ActionCall("submit", "complaint"),)
    assert flows.state("need", "description").actions == (ActionCall("submit", "need"),)
    assert [o.actions for o in consent.options] == [(ActionCall("accept_consent"),), (ActionCall("refuse_consent"),)]
    assert flows.state("complaint", "site").choose == "sites"
    assert not flows.state("complaint", "done").waits


def test_the_assembly_menu_is_filtered_by_site_and_branches_on_what_was_chosen(flows):
    pick = flows.state("assembly", "pick")

    assert (pick.choose, pick.filter, pick.if_empty, pick.save, pick.is_menu, pick.text_input) == (
        "assemblies",
        "site",
        "none_coming",
        "assembly",
        True,
        False,
    )
    # Already signed up comes first: a full assembly one is signed up for is not offered its waiting list.
    assert pick.branch == (("assembly_mine", "already"), ("assembly_full", "full"))
    assert pick.next == "confirm"
    assert pick.targets == ("confirm", "none_coming", "already", "full")
    def actions(state: str) -> list:
        return [option.actions for option in flows.state("assembly", state).options]

    assert actions("confirm") == [(ActionCall("sign_up", "confirmed"),), ()]
    assert actions("full") == [(ActionCall("sign_up", "waiting"),), ()]
    assert actions("none_coming") == [(ActionCall("notify_assemblies"),), ()]


def test_menus_that_also_take_words_are_read_as_both(flows):
    details = flows.state("confidential", "details")
    reference = flows.state("followup", "reference")

    assert (details.is_menu, details.text_input, details.waits) == (True, True, True)
    assert [(o.key, o.value) for o in details.options] == [("0", "")]
    assert (reference.choose, reference.if_empty, reference.text_input, reference.save) == (
        "my_references",
        "type_reference",
        True,
        "reference",
    )
    assert reference.actions == (ActionCall("lookup_reference"),)
    assert flows.state("confidential", "done").actions == (ActionCall("submit", "confidential"),)
    assert not flows.state("confidential", "done").waits


def test_each_state_knows_the_line_of_its_document_where_it_starts(flows):
    for flow in flows.flows.values():
        lines = flow.path.read_text(encoding="utf-8").splitlines()
        for state in flow.states.values():
            assert lines[state.line - 1].strip().startswith(f"{state.id}:"), (flow.name, state.id)


def test_flows_are_frozen(flows):
    with pytest.raises(dataclasses.FrozenInstanceError):
        flows.state("main", "menu").next = "menu"


def test_a_flow_without_a_flow_key_takes_its_name_from_the_file(tmp_path):
    path = tmp_path / "survey.yaml"
    path.write_text("start: ask\nstates:\n  ask:\n    prompt: Any idea?\n    input: text\n", encoding="utf-8")

    flow = load_flow(path, REGISTRY)

    assert (flow.name, flow.start, flow.version, flow.states["ask"].prompt) == (
        "survey",
        "ask",
        1,
        Text("survey.ask", "Any idea?"),
    )


# ---------------------------------------------------------------------------------------------
# Documents that cannot load: FlowError, naming the file (and the state when there is one).

STATE = "  a:\n    prompt: Hello\n"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        pytest.param(
            "flow: report\nstart: a\nstates:\n  a: [unclosed\n",
            "report.yaml: not valid YAML",
            id="invalid-yaml",
        ),
        pytest.param("flow: report\nstart: a\nstates:\n\ta:\n", "report.yaml: not valid YAML", id="tab-indent"),
        pytest.param("", "report.yaml: needs `flow`, `start` and a mapping of `states`", id="empty"),
        pytest.param("flow: report\nstart: a\n", "report.yaml: needs `flow`, `start`", id="no-states"),
        pytest.param(
            "flow: reports\nstart: a\nstates:\n" + STATE,
            "report.yaml: `flow: reports` must match the file name",
            id="name-mismatch",
        ),
        pytest.param(
            "start: b\nstates:\n" + STATE,
            "report.yaml: `start: b` is not a state of this flow",
            id="bad-start",
        ),
        pytest.param(
            "start: a\nstates:\n" + STATE + "    promt: Hi\n",
            "report.yaml: state `a`: unknown keys ['promt']",
            id="unknown-key",
        ),
        pytest.param(
            "start: a\nstates:\n" + STATE + "    do: [send_sms]\n",
            "report.yaml: state `a`: unknown action `send_sms`",
            id="unknown-action",
        ),
        pytest.param(
            "start: a\nstates:\n" + STATE + "    options:\n      - {label: X, next: a, do: [notify]}\n",
            "report.yaml: state `a` option 1: unknown action `notify`",
            id="unknown-option-action",
        ),
        pytest.param(
            "start: a\nstates:\n" + STATE + "    do: [submit]\n",
            "report.yaml: state `a`: action `submit` needs argument",
            id="action-without-argument",
        ),
        pytest.param(
            "start: a\nstates:\n" + STATE + "    do: [{set_language: fr}]\n",
            "report.yaml: state `a`: action `set_language` takes no argument",
            id="action-with-argument",
        ),
        pytest.param(
            "start: a\nstates:\n" + STATE + "    do: set_language\n",
            "report.yaml: state `a`: `do` must be a list",
            id="do-not-a-list",
        ),
        pytest.param(
            "start: a\nstates:\n" + STATE + "    do: [{submit: complaint, set_site: x}]\n",
            "report.yaml: state `a`: an action is a name or a one-key mapping",
            id="action-two-keys",
        ),
        pytest.param(
            "start: a\nstates:\n  a:\n    input: text\n",
            "report.yaml: state `a`: needs a `prompt` text",
            id="no-prompt",
        ),
        pytest.param(
            "start: a\nstates:\n  a:\n    prompt: '  '\n",
            "report.yaml: state `a`: needs a `prompt` text",
            id="blank-prompt",
        ),
        pytest.param(
            "start: a\nstates:\n  a: Hello\n",
            "report.yaml: state `a`: a state is a mapping",
            id="state-not-mapping",
        ),
        pytest.param(
            "start: a\nstates:\n" + STATE + "    options:\n      - {next: a}\n",
            "report.yaml: state `a`: option 1 needs a `label`",
            id="option-without-label",
        ),
        pytest.param(
            "start: a\nstates:\n" + STATE + "    choose: villages\n",
            "report.yaml: state `a`: `choose` must be one of ['assemblies', 'languages', 'my_references', 'sites']",
            id="unknown-choices",
        ),
        pytest.param(
            "start: a\nstates:\n" + STATE + "    choose: sites\n    options:\n      - {label: X}\n",
            "report.yaml: state `a`: use `options` or `choose`, not both",
            id="options-and-choose",
        ),
        pytest.param(
            "start: a\nstates:\n" + STATE + "    input: number\n",
            "report.yaml: state `a`: `input` can only be `text`",
            id="input-not-text",
        ),
        pytest.param(
            "start: a\nstates:\n" + STATE + "    filter: site\n",
            "report.yaml: state `a`: `filter` and `if_empty` go with `choose`",
            id="filter-without-choose",
        ),
        pytest.param(
            "start: a\nstates:\n" + STATE + "    branch:\n      - {if: full}\n",
            "report.yaml: state `a`: each `branch` is {if: variable, next: target}",
            id="branch-without-target",
        ),
        pytest.param(
            "start: a\nstates:\n" + STATE + "    answer_with: said\n",
            "report.yaml: state `a`: `min_words`, `answer_with` and `media` go with `input: text`",
            id="answer-with-without-text",
        ),
        pytest.param(
            "start: a\nstates:\n" + STATE + "    media: true\n",
            "report.yaml: state `a`: `min_words`, `answer_with` and `media` go with `input: text`",
            id="media-without-text",
        ),
        pytest.param(
            "start: a\nstates:\n" + STATE + "    input: text\n    min_words: some\n",
            "report.yaml: state `a`: `min_words` must be a whole number",
            id="min-words-not-a-number",
        ),
    ],
)
def test_a_document_that_cannot_load_is_a_flow_error_naming_the_file(tmp_path, document, message):
    path = tmp_path / "report.yaml"
    path.write_text(document, encoding="utf-8")

    with pytest.raises(FlowError) as error:
        load_flow(path, REGISTRY)

    assert str(error.value).startswith(message)


def test_loading_a_directory_with_one_broken_document_names_that_document(flow_copy):
    flow_copy.edit("need", lambda doc: doc["states"]["description"].update(do=["submit_need"]))

    with pytest.raises(FlowError, match=r"^need\.yaml: state `description`: unknown action `submit_need`"):
        load_flows(flow_copy.dir, REGISTRY)


NOT_A_FLOW = [
    pytest.param("- language\n- consent\n", id="a-list"),
    pytest.param("welcome\n", id="a-word"),
    pytest.param("start: a\nstates: [a, b]\n", id="states-as-a-list"),
    pytest.param("start: a\nstates: a\n", id="states-as-a-word"),
    pytest.param("start: a\nversion: two\nstates:\n" + STATE, id="version-not-a-number"),
]


@pytest.mark.parametrize("document", NOT_A_FLOW)
def test_valid_yaml_that_is_not_a_flow_is_a_flow_error_naming_the_file(tmp_path, document):
    path = tmp_path / "report.yaml"
    path.write_text(document, encoding="utf-8")

    with pytest.raises(FlowError, match=r"^report\.yaml: "):
        load_flow(path, REGISTRY)


@pytest.mark.parametrize("document", NOT_A_FLOW)
def test_the_validator_names_a_document_that_is_not_a_flow(flow_copy, document):
    flow_copy.write("need", document)

    class AllTranslated:
        languages = ("fr",)

        def translated(self, lang, text):
            return text.msgid

    flows, problems = load_and_check(flow_copy.dir, REGISTRY, AllTranslated())

    assert flows is None
    assert [problem.split(":")[0] for problem in problems] == ["need.yaml"]
