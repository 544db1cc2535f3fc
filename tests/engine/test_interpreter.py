"""The interpreter's mechanics, one by one, on small synthetic flows (bot/engine/interpreter.py).

Each specification writes the few states it needs as YAML in a temporary directory, loads them with a
small synthetic registry, and checks the turn `step` (or `start`, `question`) gives: where the
conversation waits next, which replies (by their msgids) and which actions, with which values. Nothing
is rendered here: what each real flow says to a person is specified in tests/flows.

Every synthetic deployment has a `welcome` flow (the entry: a greeting a person who has consented skips)
and a `main` flow (the main menu a finished flow parks at), as below unless a specification writes its own.
"""

import copy
import textwrap

import pytest

from bot.engine.actions import OPT_IN, OPT_OUT, ActionSpec, Registry
from bot.engine.flow import FlowSet, Text, load_flows
from bot.engine.interpreter import MAX_HOPS, Action, Choice, Context, Reply, Turn, question, start, step
from bot.engine.texts import EMPTY_TEXT_HINT, HELP, INVALID_CHOICE_HINT, OPTED_IN, OPTED_OUT, WAY_BACK

# What these flows may name. `remember` tells the rest of the turn a fact (`favourite`, from the saved
# `colour`); `agree` gives consent, as accepting a notice does.
REGISTRY = Registry(
    actions={
        "note": ActionSpec("note"),
        "file": ActionSpec("file", arguments=frozenset({"order", "request"})),
        "remember": ActionSpec("remember", facts=lambda values: {"favourite": values.get("colour")}),
        "agree": ActionSpec("agree", facts=lambda values: {"consent": True}),
        OPT_OUT: ActionSpec(OPT_OUT),
        OPT_IN: ActionSpec(OPT_IN),
    },
    menus=frozenset({"fruits", "sizes"}),
)

WELCOME = """
    start: hello
    states:
      hello:
        prompt: Hello.
        skip_if: consent
        next: "@main"
"""
MAIN = """
    start: menu
    states:
      menu:
        prompt: Main menu.
        options:
          - {label: Shop, next: "@shop"}
          - {label: Tea, next: tea}
      tea:
        prompt: Tea it is.
"""

# The data menus, as a deployment's loaders would build them: a label with its params, attrs saved beside.
FRUIT_LABEL = Text("fruit", "{name}, {price} francs")
FRUITS = (
    Choice("apple", FRUIT_LABEL, params={"name": "Apple", "price": 100}, attrs={"price": 100, "ripe": True}),
    Choice("pear", FRUIT_LABEL, params={"name": "Pear", "price": 150}, attrs={"price": 150, "ripe": False}),
)
# Sizes by group (a fruit's value), labels as plain text: the sizes of apples, then those of pears.
SIZES = (Choice("s", "Small", group="apple"), Choice("l", "Large", group="pear"), Choice("xl", "Huge", group="pear"))

KEYWORDS = {
    "menu": frozenset({"menu"}),
    "help": frozenset({"help"}),
    "stop": frozenset({"stop"}),
    "start": frozenset({"start"}),
}

MAIN_MENU = {"flow": "main", "state": "menu", "vars": {}}
PARKED = {**MAIN_MENU, "parked": True}


def load(directory, **documents: str) -> FlowSet:
    """The synthetic flows `documents` (name: YAML), with WELCOME and MAIN unless given, as loaded from `directory`."""
    for name, text in {"welcome": WELCOME, "main": MAIN, **documents}.items():
        (directory / f"{name}.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return load_flows(directory, REGISTRY)


def context(choices=None, spellings=None, keywords=KEYWORDS, **facts) -> Context:
    """A person who has consented (unless `consent=False`), with the given facts; `choices` replaces data menus."""
    return Context(
        facts={"consent": True, **facts},
        choices={"fruits": FRUITS, "sizes": SIZES, **(choices or {})},
        keywords=keywords,
        **({"spellings": spellings} if spellings else {}),
    )


def at(flow: str, state: str, **variables) -> dict:
    """A position: the conversation waits at `flow.state`, with what the flow has saved so far."""
    return {"flow": flow, "state": state, "vars": variables}


def prompts(turn: Turn) -> list[str]:
    """The msgids of the turn's replies, in order; the way back under a last message aside (specified on its own)."""
    return [reply.prompt.msgid for reply in turn.replies if not reply.way_back]


def actions(turn: Turn) -> list[tuple[str, str | None]]:
    return [(action.name, action.arg) for action in turn.actions]


# ---------------------------------------------------------------------------------------------
# Numbered menus and option targets.

FRUIT_MENU = """
    start: fruit
    states:
      fruit:
        prompt: Which fruit?
        save: fruit
        options:
          - {label: Apple, value: apple}
          - {label: Pear, value: pear, next: pears}
          - {key: 0, label: Nothing, value: none, next: "@main"}
        next: apples
      apples:
        prompt: Apples it is.
      pears:
        prompt: Pears it is.
"""


def test_a_menu_shows_its_prompt_and_its_options_numbered_from_1_unless_given_a_key(tmp_path):
    flows = load(tmp_path, shop=FRUIT_MENU)

    turn = step(flows, MAIN_MENU, context(), "1")

    (reply,) = turn.replies
    assert reply.prompt == Text("shop.fruit", "Which fruit?")
    assert reply.options == (
        ("1", Text("shop.fruit", "Apple"), {}),
        ("2", Text("shop.fruit", "Pear"), {}),
        ("0", Text("shop.fruit", "Nothing"), {}),
    )
    assert reply.hint is None
    assert turn.position == at("shop", "fruit")
    assert turn.actions == ()


@pytest.mark.parametrize("answer", ["2", " 2) ", "2.", "Pear", "  PEAR ", "pear!"])
def test_a_menu_answer_is_an_options_key_or_its_label_however_it_is_typed(tmp_path, answer):
    flows = load(tmp_path, shop=FRUIT_MENU)

    turn = step(flows, at("shop", "fruit"), context(), answer)

    assert prompts(turn) == ["Pears it is."]


def test_a_label_is_also_answered_by_every_spelling_the_context_gives_it(tmp_path):
    flows = load(tmp_path, shop=FRUIT_MENU)
    french = {"Apple": "Pomme", "Pear": "Poire", "Nothing": "Rien"}

    def spellings(text: Text):
        return (text.msgid, french.get(text.msgid, text.msgid))

    assert prompts(step(flows, at("shop", "fruit"), context(spellings=spellings), "poire")) == ["Pears it is."]


@pytest.mark.parametrize(
    ("answer", "then"),
    [("1", "Apples it is."), ("2", "Pears it is."), ("0", "Main menu.")],
    ids=["the-states-next", "the-options-own-target", "another-flow"],
)
def test_an_option_goes_to_its_own_target_else_to_the_states_next(tmp_path, answer, then):
    flows = load(tmp_path, shop=FRUIT_MENU)

    assert prompts(step(flows, at("shop", "fruit"), context(), answer)) == [then]


def test_an_options_own_target_wins_over_the_states_branches(tmp_path):
    flows = load(
        tmp_path,
        shop="""
            start: fruit
            states:
              fruit:
                prompt: Which fruit?
                options:
                  - {label: Apple, next: apples}
                  - {label: Pear}
                branch:
                  - {if: vip, next: vip}
                next: pears
              apples:
                prompt: Apples it is.
              pears:
                prompt: Pears it is.
              vip:
                prompt: Welcome, VIP.
        """,
    )

    assert prompts(step(flows, at("shop", "fruit"), context(vip=True), "1")) == ["Apples it is."]
    assert prompts(step(flows, at("shop", "fruit"), context(vip=True), "2")) == ["Welcome, VIP."]


@pytest.mark.parametrize("answer", ["4", "0.5", "banana", "1 2", ""])
def test_an_answer_that_is_no_option_asks_again_with_the_hint_and_keeps_what_was_saved(tmp_path, answer):
    flows = load(tmp_path, shop=FRUIT_MENU)
    position = at("shop", "fruit", basket="big")

    turn = step(flows, position, context(), answer)

    (reply,) = turn.replies
    assert (reply.prompt.msgid, reply.hint) == ("Which fruit?", INVALID_CHOICE_HINT)
    assert len(reply.options) == 3
    assert turn.position == at("shop", "fruit", basket="big")
    assert turn.actions == ()


def test_an_options_actions_come_before_the_states_own_with_the_answer_saved(tmp_path):
    flows = load(
        tmp_path,
        shop="""
            start: fruit
            states:
              fruit:
                prompt: Which fruit?
                save: fruit
                options:
                  - {label: Apple, value: apple, do: [note]}
                  - {label: Pear, value: pear}
                do: [{file: order}]
        """,
    )

    apple = step(flows, at("shop", "fruit"), context(), "1")
    pear = step(flows, at("shop", "fruit"), context(), "2")

    assert actions(apple) == [("note", None), ("file", "order")]
    assert [action.values["fruit"] for action in apple.actions] == ["apple", "apple"]
    assert actions(pear) == [("file", "order")]


# ---------------------------------------------------------------------------------------------
# `save`: the option's value, or the data choice's value and its attrs.


@pytest.mark.parametrize(("answer", "saved"), [("1", "apple"), ("2", "2")])
def test_save_keeps_the_chosen_options_value_or_else_its_key(tmp_path, answer, saved):
    flows = load(
        tmp_path,
        shop="""
            start: fruit
            states:
              fruit:
                prompt: Which fruit?
                save: fruit
                options:
                  - {label: Apple, value: apple}
                  - {label: Pear}
                next: size
              size:
                prompt: Which size?
                input: text
        """,
    )

    assert step(flows, at("shop", "fruit", basket="big"), context(), answer).position == at(
        "shop", "size", basket="big", fruit=saved
    )


DATA_MENU = """
    start: fruit
    states:
      fruit:
        prompt: Which fruit?
        choose: fruits
        save: fruit
        next: size
      size:
        prompt: "{fruit_price} francs. Which size?"
        input: text
"""


def test_a_data_menu_numbers_its_choices_from_1_with_the_params_of_their_labels(tmp_path):
    flows = load(tmp_path, shop=DATA_MENU)

    (reply,) = step(flows, MAIN_MENU, context(), "1").replies

    assert reply.options == (
        ("1", FRUIT_LABEL, {"name": "Apple", "price": 100}),
        ("2", FRUIT_LABEL, {"name": "Pear", "price": 150}),
    )


def test_a_data_choice_saves_its_value_and_each_attr_as_save_underscore_attr(tmp_path):
    flows = load(tmp_path, shop=DATA_MENU)

    turn = step(flows, at("shop", "fruit"), context(), "2")

    assert turn.position == at("shop", "size", fruit="pear", fruit_price=150, fruit_ripe=False)
    assert turn.replies[0].params["fruit_price"] == 150  # for the next prompt's {placeholders}


def test_a_data_choice_with_a_plain_label_is_answered_by_that_label(tmp_path):
    flows = load(
        tmp_path,
        shop="""
            start: size
            states:
              size:
                prompt: Which size?
                choose: sizes
                save: size
                do: [note]
        """,
    )

    assert step(flows, at("shop", "size"), context(), " huge ").actions[0].values["size"] == "xl"
    assert step(flows, at("shop", "size"), context(), "Medium").replies[0].hint == INVALID_CHOICE_HINT


# ---------------------------------------------------------------------------------------------
# Free text: `input: text`.

WORDS = """
    start: words
    states:
      words:
        prompt: Say it in words.
        input: text
        save: text
        do: [{file: request}]
        next: thanks
      thanks:
        prompt: Thank you.
"""


@pytest.mark.parametrize("text", ["Two kilos of pears", "  Two kilos of pears \n", "1"])
def test_free_text_is_saved_as_written_without_surrounding_spaces_and_the_flow_moves_on(tmp_path, text):
    flows = load(tmp_path, shop=WORDS)

    turn = step(flows, at("shop", "words", fruit="pear"), context(), text)

    assert prompts(turn) == ["Thank you."]
    assert actions(turn) == [("file", "request")]
    assert turn.actions[0].values == {"consent": True, "fruit": "pear", "text": text.strip()}
    assert turn.position == PARKED


@pytest.mark.parametrize("empty", ["", "   ", "\n\t "])
def test_an_empty_text_asks_again_with_the_empty_text_hint(tmp_path, empty):
    flows = load(tmp_path, shop=WORDS)

    turn = step(flows, at("shop", "words", fruit="pear"), context(), empty)

    (reply,) = turn.replies
    assert (reply.prompt.msgid, reply.hint, reply.options) == ("Say it in words.", EMPTY_TEXT_HINT, ())
    assert turn.position == at("shop", "words", fruit="pear")
    assert turn.actions == ()


# ---------------------------------------------------------------------------------------------
# A menu that also takes text: an option if one matches, else the text as written.

MENU_OR_WORDS = """
    start: words
    states:
      words:
        prompt: Say more, or send 0.
        input: text
        save: text
        options:
          - {key: 0, label: Nothing more, value: ""}
        next: thanks
      thanks:
        prompt: Thank you.
        do: [{file: request}]
"""


@pytest.mark.parametrize(("answer", "saved"), [("0", ""), ("nothing more", ""), (" It is late ", "It is late")])
def test_a_menu_that_takes_text_saves_a_matching_option_else_the_text(tmp_path, answer, saved):
    flows = load(tmp_path, shop=MENU_OR_WORDS)

    turn = step(flows, at("shop", "words"), context(), answer)

    assert prompts(turn) == ["Thank you."]
    assert turn.actions[0].values["text"] == saved


def test_an_empty_answer_to_a_menu_that_takes_text_asks_again_with_the_menus_hint(tmp_path):
    flows = load(tmp_path, shop=MENU_OR_WORDS)

    turn = step(flows, at("shop", "words"), context(), "  ")

    assert [(r.prompt.msgid, r.hint) for r in turn.replies] == [("Say more, or send 0.", INVALID_CHOICE_HINT)]
    assert turn.position == at("shop", "words")
    assert turn.actions == ()


# ---------------------------------------------------------------------------------------------
# `skip_if`: a state whose variable is already set is passed, unseen, to its `next`.

SKIPPING = """
    start: colour
    states:
      colour:
        prompt: Which colour?
        input: text
        save: colour
        skip_if: colour
        do: [note]
        branch:
          - {if: vip, next: vip}
        next: fruit
      fruit:
        prompt: Which fruit?
        input: text
      vip:
        prompt: Welcome, VIP.
"""


def test_skip_if_passes_a_state_whose_fact_is_set_without_showing_it_or_running_its_actions(tmp_path):
    flows = load(tmp_path, shop=SKIPPING)

    turn = step(flows, MAIN_MENU, context(colour="red"), "1")

    assert prompts(turn) == ["Which fruit?"]
    assert turn.actions == ()
    assert turn.position == at("shop", "fruit")


def test_skip_if_also_reads_what_the_flow_has_saved(tmp_path):
    flows = load(
        tmp_path,
        shop="""
            start: colour
            states:
              colour:
                prompt: Which colour?
                input: text
                save: colour
                next: again
              again:
                prompt: Which colour, again?
                input: text
                save: colour
                skip_if: colour
                next: fruit
              fruit:
                prompt: Which fruit?
                input: text
        """,
    )

    assert prompts(step(flows, at("shop", "colour"), context(), "red")) == ["Which fruit?"]


@pytest.mark.parametrize("unset", [None, "", False])
def test_a_state_whose_skip_if_variable_is_empty_is_shown(tmp_path, unset):
    flows = load(tmp_path, shop=SKIPPING)

    turn = step(flows, MAIN_MENU, context(colour=unset), "1")

    assert prompts(turn) == ["Which colour?"]
    assert turn.position == at("shop", "colour")


def test_a_skipped_state_goes_to_its_next_even_where_one_of_its_branches_holds(tmp_path):
    flows = load(tmp_path, shop=SKIPPING)

    assert prompts(step(flows, MAIN_MENU, context(colour="red", vip=True), "1")) == ["Which fruit?"]
    assert prompts(step(flows, at("shop", "colour"), context(vip=True), "red")) == ["Welcome, VIP."]


# ---------------------------------------------------------------------------------------------
# `branch`: the first branch whose variable is set decides where to go, else `next`.

BRANCHING = """
    start: fruit
    states:
      fruit:
        prompt: Which fruit?
        choose: fruits
        save: fruit
        branch:
          - {if: fruit_ripe, next: ripe}
          - {if: vip, next: vip}
        next: unripe
      ripe:
        prompt: Ripe today.
      unripe:
        prompt: Not ripe yet.
      vip:
        prompt: Welcome, VIP.
"""


@pytest.mark.parametrize(
    ("answer", "facts", "then"),
    [
        ("1", {}, "Ripe today."),
        ("1", {"vip": True}, "Ripe today."),
        ("2", {"vip": True}, "Welcome, VIP."),
        ("2", {}, "Not ripe yet."),
        ("2", {"vip": ""}, "Not ripe yet."),
    ],
    ids=["first-holds", "first-of-two-that-hold", "a-fact-holds", "none-holds", "an-empty-value-does-not-hold"],
)
def test_the_first_branch_whose_variable_is_set_decides_where_to_go_else_next(tmp_path, answer, facts, then):
    flows = load(tmp_path, shop=BRANCHING)

    assert prompts(step(flows, at("shop", "fruit"), context(**facts), answer)) == [then]


def test_a_message_branches_like_any_state(tmp_path):
    flows = load(
        tmp_path,
        shop="""
            start: hello
            states:
              hello:
                prompt: Hello shopper.
                branch:
                  - {if: vip, next: vip}
                next: fruit
              fruit:
                prompt: Which fruit?
                input: text
              vip:
                prompt: Welcome, VIP.
        """,
    )

    assert prompts(step(flows, MAIN_MENU, context(vip=True), "1")) == ["Hello shopper.", "Welcome, VIP."]
    assert prompts(step(flows, MAIN_MENU, context(), "1")) == ["Hello shopper.", "Which fruit?"]


# ---------------------------------------------------------------------------------------------
# `filter` and `if_empty`: the data choices of a group, and where to go when there are none.

SIZES_OF_THE_FRUIT = """
    start: size
    states:
      size:
        prompt: Which size?
        choose: sizes
        filter: fruit
        if_empty: none_left
        save: size
        do: [note]
        next: thanks
      thanks:
        prompt: Thank you.
      none_left:
        prompt: None left.
"""


def test_filter_keeps_the_choices_whose_group_is_the_variables_value_numbered_from_1(tmp_path):
    flows = load(tmp_path, shop=SIZES_OF_THE_FRUIT)

    turn = step(flows, MAIN_MENU, context(fruit="pear"), "1")

    assert [(key, label) for key, label, _ in turn.replies[0].options] == [("1", "Large"), ("2", "Huge")]
    assert step(flows, at("shop", "size"), context(fruit="pear"), "2").actions[0].values["size"] == "xl"


def test_filter_also_reads_what_the_flow_has_saved(tmp_path):
    flows = load(tmp_path, shop=SIZES_OF_THE_FRUIT)

    (reply,) = step(flows, at("shop", "size", fruit="apple"), context(), "9").replies
    assert [label for _, label, _ in reply.options] == ["Small"]


@pytest.mark.parametrize("answer", ["3", "Small", "small"])
def test_a_choice_of_another_group_is_no_answer_by_its_number_or_its_label(tmp_path, answer):
    flows = load(tmp_path, shop=SIZES_OF_THE_FRUIT)

    turn = step(flows, at("shop", "size"), context(fruit="pear"), answer)

    assert turn.replies[0].hint == INVALID_CHOICE_HINT
    assert turn.position == at("shop", "size")
    assert turn.actions == ()


@pytest.mark.parametrize(
    ("choices", "fruit"), [({"sizes": ()}, "pear"), ({}, "kiwi")], ids=["no-choice-at-all", "none-of-its-group"]
)
def test_a_data_menu_with_no_choice_left_goes_to_if_empty_unseen_and_runs_none_of_its_actions(tmp_path, choices, fruit):
    flows = load(tmp_path, shop=SIZES_OF_THE_FRUIT)

    turn = step(flows, MAIN_MENU, context(choices, fruit=fruit), "1")

    assert prompts(turn) == ["None left."]
    assert turn.actions == ()
    assert turn.position == PARKED


# ---------------------------------------------------------------------------------------------
# `@flow` targets: the start of another flow.


@pytest.mark.parametrize(
    ("answer", "facts"), [("1", {}), ("2", {"vip": True}), ("2", {})], ids=["an-option", "a-branch", "next"]
)
def test_an_at_target_goes_to_the_start_of_that_flow(tmp_path, answer, facts):
    flows = load(
        tmp_path,
        shop="""
            start: fruit
            states:
              fruit:
                prompt: Which fruit?
                options:
                  - {label: Apple, next: "@till"}
                  - {label: Pear}
                branch:
                  - {if: vip, next: "@till"}
                next: "@till"
        """,
        till="""
            start: pay
            states:
              receipt:
                prompt: Your receipt.
              pay:
                prompt: Cash or card?
                input: text
        """,
    )

    turn = step(flows, at("shop", "fruit", fruit="pear"), context(**facts), answer)

    assert prompts(turn) == ["Cash or card?"]
    assert turn.position == at("till", "pay", fruit="pear")  # what was saved goes along, into whichever flow


# ---------------------------------------------------------------------------------------------
# Messages: a state with no menu and no input is shown, runs its actions, and moves on in the same turn.

CHAIN = """
    start: hello
    states:
      hello:
        prompt: "Hello, {name}."
        do: [note]
        next: today
      today:
        prompt: "Today's fruit."
        all_languages: true
        next: fruit
      fruit:
        prompt: Which fruit?
        choose: fruits
        save: fruit
"""


def test_messages_are_shown_one_after_the_other_up_to_the_next_state_that_waits(tmp_path):
    flows = load(tmp_path, shop=CHAIN)

    turn = step(flows, MAIN_MENU, context(name="Awa"), "1")

    assert prompts(turn) == ["Hello, {name}.", "Today's fruit.", "Which fruit?"]
    assert [len(reply.options) for reply in turn.replies] == [0, 0, 2]
    assert turn.position == at("shop", "fruit")
    assert actions(turn) == [("note", None)]


def test_a_reply_carries_the_values_known_when_it_is_shown_for_its_placeholders(tmp_path):
    flows = load(tmp_path, shop=CHAIN)

    turn = step(flows, MAIN_MENU, context(name="Awa"), "1")

    assert turn.replies[0].params == {"consent": True, "name": "Awa"}
    assert turn.actions[0].values == {"consent": True, "name": "Awa"}


def test_a_state_for_all_languages_marks_its_reply(tmp_path):
    flows = load(tmp_path, shop=CHAIN)

    turn = step(flows, MAIN_MENU, context(name="Awa"), "1")

    assert [reply.all_languages for reply in turn.replies] == [False, True, False]


def test_question_is_the_reply_the_engine_shows_on_reaching_a_state(tmp_path):
    flows = load(tmp_path, shop=CHAIN)

    reply = question(flows, flows.state("shop", "fruit"), context(name="Awa"))

    assert reply == step(flows, MAIN_MENU, context(name="Awa"), "1").replies[-1]
    assert reply.params == {"consent": True, "name": "Awa"}


# ---------------------------------------------------------------------------------------------
# The end of a flow: waiting quietly at the main menu, for a person who has consented.


def test_the_end_of_a_flow_parks_at_the_main_menu_without_showing_it(tmp_path):
    flows = load(tmp_path, shop=WORDS)

    turn = step(flows, at("shop", "words", fruit="pear"), context(), "Two kilos")

    assert prompts(turn) == ["Thank you."]
    assert turn.position == {"flow": "main", "state": "menu", "vars": {}, "parked": True}


def test_the_last_message_of_a_flow_shows_the_way_back_to_the_menu_and_a_question_does_not(tmp_path):
    flows = load(tmp_path, shop=WORDS)

    ended = step(flows, at("shop", "words", fruit="pear"), context(), "Two kilos")
    asked = step(flows, MAIN_MENU, context(), "1")

    assert [(reply.prompt, reply.way_back) for reply in ended.replies] == [
        (Text("shop.thanks", "Thank you."), False),
        (WAY_BACK, True),
    ]
    assert not any(reply.way_back for reply in asked.replies)
    assert step(flows, ended.position, context(), "0") == start(flows, context())  # 0 is no option: the menu


def test_an_answer_with_nowhere_to_go_ends_the_flow(tmp_path):
    flows = load(tmp_path, shop=FRUIT_MENU.replace("        next: apples\n", ""))

    turn = step(flows, at("shop", "fruit"), context(), "1")

    assert turn.replies == ()
    assert turn.position == PARKED


def test_without_consent_the_end_of_a_flow_waits_nowhere(tmp_path):
    flows = load(tmp_path, shop=WORDS)

    turn = step(flows, at("shop", "words"), context(consent=False), "Two kilos")

    assert prompts(turn) == ["Thank you."]
    assert actions(turn) == [("file", "request")]
    assert turn.position is None


def test_a_parked_position_takes_an_answer_to_the_main_menu_at_once(tmp_path):
    flows = load(tmp_path)

    turn = step(flows, PARKED, context(), "2")

    assert prompts(turn) == ["Tea it is."]
    assert turn.position == PARKED


@pytest.mark.parametrize("thanks", ["thank you", "9", ""])
def test_a_parked_position_answered_with_no_option_starts_again_without_a_hint(tmp_path, thanks):
    flows = load(tmp_path)

    turn = step(flows, PARKED, context(), thanks)

    assert prompts(turn) == ["Main menu."]
    assert turn.replies[0].hint is None
    assert turn.position == MAIN_MENU  # a question like any other now: no longer parked
    assert turn == start(flows, context())


def test_start_opens_the_entry_flow_passing_what_is_already_known(tmp_path):
    flows = load(tmp_path)

    new = start(flows, context(consent=False))
    known = start(flows, context())

    assert (prompts(new), new.position) == (["Hello.", "Main menu."], MAIN_MENU)
    assert (prompts(known), known.position, known.actions) == (["Main menu."], MAIN_MENU, ())


# ---------------------------------------------------------------------------------------------
# Facts: what an action will change about the person, the rest of the turn already sees.

REMEMBERING = """
    start: colour
    states:
      colour:
        prompt: Which colour?
        input: text
        save: colour
        do: [remember]
        next: again
      again:
        prompt: Your favourite?
        input: text
        skip_if: favourite
        next: done
      done:
        prompt: "{favourite} it is."
        do: [note]
"""


def test_an_actions_facts_are_seen_by_the_rest_of_the_turn(tmp_path):
    flows = load(tmp_path, shop=REMEMBERING)

    turn = step(flows, at("shop", "colour"), context(), "red")

    assert prompts(turn) == ["{favourite} it is."]  # `again` skipped: the favourite is known now
    assert turn.replies[0].params["favourite"] == "red"
    assert actions(turn) == [("remember", None), ("note", None)]
    assert "favourite" not in turn.actions[0].values  # an action's values are those known before it
    assert turn.actions[1].values["favourite"] == "red"


def test_an_actions_facts_are_not_kept_in_the_position(tmp_path):
    flows = load(tmp_path, shop=REMEMBERING.replace("skip_if: favourite", "skip_if: nothing"))

    turn = step(flows, at("shop", "colour"), context(), "red")

    assert turn.position == at("shop", "again", colour="red")


def test_an_action_that_gives_consent_lets_the_end_of_the_same_turn_park(tmp_path):
    flows = load(
        tmp_path,
        notice="""
            start: notice
            states:
              notice:
                prompt: Do you agree?
                options:
                  - {label: "Yes", do: [agree], next: thanks}
                  - {label: "No", next: bye}
              thanks:
                prompt: Thank you.
              bye:
                prompt: Goodbye.
        """,
    )

    assert step(flows, at("notice", "notice"), context(consent=False), "1").position == PARKED
    assert step(flows, at("notice", "notice"), context(consent=False), "2").position is None


def test_what_the_flow_saved_hides_a_fact_of_the_same_name(tmp_path):
    flows = load(tmp_path, shop=WORDS)

    turn = step(flows, at("shop", "words", fruit="pear"), context(fruit="apple"), "Two kilos")

    assert turn.actions[0].values["fruit"] == "pear"
    assert turn.replies[0].params["fruit"] == "pear"


# ---------------------------------------------------------------------------------------------
# Keywords: MENU and START start again, HELP leaves the question open, STOP opts out.


@pytest.mark.parametrize("word", ["menu", "MENU", " Menu. ", "start"])
def test_menu_or_start_starts_again_from_the_entry_and_forgets_the_flows_answers(tmp_path, word):
    flows = load(tmp_path, shop=WORDS)

    turn = step(flows, at("shop", "words", fruit="pear"), context(), word)

    assert turn == start(flows, context())
    assert turn.position == MAIN_MENU
    assert turn.actions == ()


def test_a_keyword_is_never_taken_as_an_answer(tmp_path):
    flows = load(
        tmp_path,
        shop="""
            start: words
            states:
              words:
                prompt: Say it in words, or choose.
                input: text
                save: text
                do: [note]
                options:
                  - {label: Stop}
                  - {label: Help}
        """,
    )

    assert prompts(step(flows, at("shop", "words"), context(), "help")) == [HELP.msgid]
    assert actions(step(flows, at("shop", "words"), context(), "Stop")) == [(OPT_OUT, None)]
    assert prompts(step(flows, at("shop", "words"), context(), "Menu")) == ["Main menu."]


def test_help_answers_with_the_help_text_and_keeps_the_question_open(tmp_path):
    flows = load(tmp_path, shop=WORDS)
    position = at("shop", "words", fruit="pear")

    turn = step(flows, position, context(language="fr"), "help")

    assert turn.replies == (Reply(HELP, all_languages=False),)
    assert turn.actions == ()
    assert turn.position == position
    assert prompts(step(flows, turn.position, context(), "Two kilos")) == ["Thank you."]


@pytest.mark.parametrize(("language", "every_language"), [(None, True), ("", True), ("bm", False)])
def test_help_is_for_every_language_until_the_person_has_chosen_one(tmp_path, language, every_language):
    flows = load(tmp_path)

    (reply,) = step(flows, MAIN_MENU, context(language=language), "help").replies

    assert reply.all_languages is every_language


def test_help_returns_a_copy_of_the_position_not_the_callers_own(tmp_path):
    flows = load(tmp_path, shop=WORDS)
    position = at("shop", "words", fruit="pear")

    turn = step(flows, position, context(), "help")
    assert turn.position == position
    turn.position["vars"]["later"] = "changed by the caller"

    assert position == at("shop", "words", fruit="pear")


def test_help_with_no_conversation_opens_none(tmp_path):
    flows = load(tmp_path)

    turn = step(flows, None, context(), "help")

    assert (prompts(turn), turn.position, turn.actions) == ([HELP.msgid], None, ())


@pytest.mark.parametrize("position", [None, MAIN_MENU, PARKED, at("shop", "words", fruit="pear")])
def test_stop_opts_out_from_anywhere_and_leaves_nothing_waiting(tmp_path, position):
    flows = load(tmp_path, shop=WORDS)

    turn = step(flows, position, context(), " STOP ")

    assert turn == Turn(None, (Reply(OPTED_OUT),), (Action(OPT_OUT, None, {}),))


@pytest.mark.parametrize("message", ["hello", "1", "", "menu", "help", "stop", "Two kilos"])
def test_an_opted_out_person_is_sent_nothing_and_nothing_is_done_whatever_they_write(tmp_path, message):
    flows = load(tmp_path, shop=WORDS)

    turn = step(flows, at("shop", "words"), context(opted_out=True), message)

    assert turn == Turn(None, (), ())


def test_start_after_an_opt_out_welcomes_the_person_back_then_starts_again(tmp_path):
    flows = load(tmp_path, shop=WORDS)
    opted_out = context(opted_out=True)

    turn = step(flows, None, opted_out, "start")

    again = start(flows, opted_out)
    assert turn.replies == (Reply(OPTED_IN), *again.replies)
    assert prompts(turn) == [OPTED_IN.msgid, "Main menu."]
    assert turn.actions == (Action(OPT_IN, None, {}), *again.actions)
    assert turn.position == MAIN_MENU


# ---------------------------------------------------------------------------------------------
# Stale positions: left where the flows, since edited, no longer wait. The message is not read as an answer.


@pytest.mark.parametrize(
    "stale",
    [
        None,
        {},
        {"flow": "shop"},
        {"flow": "survey", "state": "q1", "vars": {"answer": "3"}},
        {"flow": "shop", "state": "photo", "vars": {"fruit": "pear"}},
        {"flow": "shop", "state": "thanks", "vars": {}},
    ],
    ids=["none", "empty", "no-state", "unknown-flow", "unknown-state", "a-state-that-no-longer-waits"],
)
@pytest.mark.parametrize("message", ["hello", "2"])
def test_a_position_where_nothing_waits_any_more_starts_again_without_reading_the_message(tmp_path, stale, message):
    flows = load(tmp_path, shop=WORDS)

    turn = step(flows, stale, context(), message)

    assert turn == start(flows, context())
    assert turn.position == MAIN_MENU  # "2" is not taken as the main menu's Tea


def test_a_position_without_vars_is_still_answered(tmp_path):
    flows = load(tmp_path, shop=WORDS)

    turn = step(flows, {"flow": "shop", "state": "words"}, context(), "Two kilos")

    assert prompts(turn) == ["Thank you."]
    assert turn.actions[0].values["text"] == "Two kilos"


# ---------------------------------------------------------------------------------------------
# The loop guard: a chain of messages longer than MAX_HOPS is a loop in a flow, refused rather than spun forever.


def chain(length: int) -> str:
    """A flow of `length` messages, then a question."""
    states = "".join(f"  m{i}:\n    prompt: M{i}\n    next: m{i + 1}\n" for i in range(length))
    return f"start: m0\nstates:\n{states}  m{length}:\n    prompt: Which?\n    input: text\n"


def test_a_loop_of_plain_messages_raises_instead_of_hanging(tmp_path):
    flows = load(
        tmp_path,
        welcome="start: a\nstates:\n  a:\n    prompt: A\n    next: b\n  b:\n    prompt: B\n    next: a\n",
        main="start: menu\nstates:\n  menu:\n    prompt: M\n    options:\n      - {label: X, next: menu}\n",
    )

    with pytest.raises(RuntimeError, match="flow loop"):
        step(flows, None, context(), "hello")


def test_a_chain_of_messages_up_to_max_hops_is_walked_and_one_more_is_a_loop(tmp_path):
    main = """
        start: menu
        states:
          menu:
            prompt: Main menu.
            options:
              - {label: Short, next: "@short"}
              - {label: Long, next: "@long"}
    """
    flows = load(tmp_path, main=main, short=chain(MAX_HOPS - 1), long=chain(MAX_HOPS))

    turn = step(flows, MAIN_MENU, context(), "1")
    assert len(turn.replies) == MAX_HOPS
    assert turn.position == at("short", f"m{MAX_HOPS - 1}")

    with pytest.raises(RuntimeError, match="flow loop"):
        step(flows, MAIN_MENU, context(), "2")


# ---------------------------------------------------------------------------------------------
# The engine is pure: no I/O, no clock, no randomness, and it changes nothing it is given.

SHOP = """
    start: colour
    states:
      colour:
        prompt: Which colour?
        input: text
        save: colour
        skip_if: favourite
        do: [remember]
        next: fruit
      fruit:
        prompt: Which fruit?
        choose: fruits
        save: fruit
        branch:
          - {if: fruit_ripe, next: size}
        next: words
      size:
        prompt: Which size?
        choose: sizes
        filter: fruit
        if_empty: words
        save: size
        next: words
      words:
        prompt: Say more, or send 0.
        input: text
        save: text
        options:
          - {key: 0, label: Nothing more, value: ""}
        do: [{file: order}]
"""
# Each scenario: a position, what the context is built with (facts; `choices` replaces data menus), a message.
AT_WORDS = at("shop", "words", colour="red", fruit="pear", fruit_price=150, fruit_ripe=False)
SCENARIOS = [
    pytest.param(None, {"consent": False}, "hello", id="first-contact"),
    pytest.param(MAIN_MENU, {}, "1", id="a-menu-answer"),
    pytest.param(MAIN_MENU, {"favourite": "blue"}, "1", id="skip-if"),
    pytest.param(at("shop", "colour"), {}, "red", id="an-actions-facts"),
    pytest.param(at("shop", "fruit", colour="red"), {}, "1", id="a-data-choice-and-a-branch"),
    pytest.param(at("shop", "fruit", colour="red"), {}, "banana", id="no-answer"),
    pytest.param(at("shop", "size", fruit="apple"), {}, "small", id="filter"),
    pytest.param(at("shop", "fruit", colour="red"), {"choices": {"sizes": ()}}, "1", id="if-empty"),
    pytest.param(AT_WORDS, {}, "0", id="an-option-of-a-menu-that-takes-text"),
    pytest.param(AT_WORDS, {}, " It is late ", id="text"),
    pytest.param(AT_WORDS, {}, "  ", id="empty-text"),
    pytest.param(AT_WORDS, {"consent": False}, "It is late", id="the-end-without-consent"),
    pytest.param(PARKED, {}, "2", id="parked-answer"),
    pytest.param(PARKED, {}, "thanks", id="parked-thanks"),
    pytest.param(AT_WORDS, {}, "help", id="help"),
    pytest.param(AT_WORDS, {}, "menu", id="menu"),
    pytest.param(AT_WORDS, {}, "stop", id="stop"),
    pytest.param(None, {"opted_out": True}, "start", id="opt-in"),
    pytest.param({"flow": "survey", "state": "q1", "vars": {"answer": "3"}}, {}, "1", id="stale"),
]


@pytest.mark.parametrize(("position", "facts", "text"), SCENARIOS)
def test_the_same_input_gives_the_same_turn(tmp_path, position, facts, text):
    flows, position, given = load(tmp_path, shop=SHOP), copy.deepcopy(position), context(**facts)

    first = step(flows, position, given, text)
    second = step(flows, position, given, text)

    assert first == second
    assert first.replies or first.actions  # a real turn, not two empty ones


@pytest.mark.parametrize(("position", "facts", "text"), SCENARIOS)
def test_the_engine_does_not_change_the_position_or_the_facts_it_is_given(tmp_path, position, facts, text):
    flows, position, given = load(tmp_path, shop=SHOP), copy.deepcopy(position), context(**facts)
    position_before, facts_before = copy.deepcopy(position), copy.deepcopy(dict(given.facts))

    turn = step(flows, position, given, text)

    assert position == position_before
    assert dict(given.facts) == facts_before
    if position is not None and turn.position is not None:
        turn.position["vars"]["later"] = "changed by the caller"
        assert "later" not in position.get("vars", {})


# ---------------------------------------------------------------------------------------------
# Text written at a menu that also takes words (`min_words`), held for a later question (`answer_with`).

HOME = """
    start: menu
    states:
      menu:
        prompt: Main menu.
        input: text
        min_words: 3
        save: said
        next: what
        options:
          - {label: Order, next: "@order"}
          - {label: Tea, next: tea}
      tea:
        prompt: Tea it is.
      what:
        prompt: Is this an order?
        options:
          - {label: "Yes", next: "@order"}
          - {key: 0, label: Menu, next: menu}
"""
ORDER = """
    start: fruit
    states:
      fruit:
        prompt: Which fruit?
        save: fruit
        options:
          - {label: Apple, value: apple}
        next: note
      note:
        prompt: Anything to add?
        input: text
        answer_with: said
        save: text
        do: [{file: order}]
        options:
          - {key: 0, label: Menu, next: "@main"}
        next: thanks
      thanks:
        prompt: Thank you.
"""
GREETINGS = {**KEYWORDS, "greeting": frozenset({"hello", "good", "morning"})}


def home(tmp_path) -> FlowSet:
    return load(tmp_path, main=HOME, order=ORDER)


def test_words_at_a_menu_that_takes_them_are_held_and_the_next_question_asks_what_they_are(tmp_path):
    turn = step(home(tmp_path), MAIN_MENU, context(), "the pump is broken")

    assert prompts(turn) == ["Is this an order?"]
    assert turn.position == at("main", "what", said="the pump is broken")
    assert turn.replies[0].hint is None


def test_the_held_text_answers_its_question_unasked_and_the_flow_asks_only_what_remains(tmp_path):
    flows = home(tmp_path)

    asked = step(flows, at("main", "what", said="the pump is broken"), context(), "1")
    assert prompts(asked) == ["Which fruit?"]  # what the text does not say is still asked

    turn = step(flows, asked.position, context(), "1")
    assert prompts(turn) == ["Thank you."]  # "Anything to add?" is never shown
    (action,) = turn.actions
    assert (action.name, action.values["text"], action.values["fruit"]) == ("file", "the pump is broken", "apple")
    assert "said" not in action.values  # used once, then gone
    assert turn.position == PARKED


@pytest.mark.parametrize("short", ["hello", "good morning", "Hello good morning", "two words", "9"])
def test_a_greeting_or_too_few_words_is_no_answer_to_a_menu_that_wants_several(tmp_path, short):
    turn = step(home(tmp_path), MAIN_MENU, context(keywords=GREETINGS), short)

    assert prompts(turn) == ["Main menu."]
    assert turn.replies[0].hint == INVALID_CHOICE_HINT
    assert turn.position == MAIN_MENU


def test_greetings_around_a_problem_do_not_hide_it(tmp_path):
    said = "Hello good morning the pump is broken"
    turn = step(home(tmp_path), MAIN_MENU, context(keywords=GREETINGS), said)

    assert turn.position == at("main", "what", said=said)  # kept whole, greetings included


def test_a_first_message_written_out_is_held_rather_than_answered_with_the_menu(tmp_path):
    flows = home(tmp_path)
    known = context(language="en")

    assert step(flows, None, known, "the pump is broken").position == at("main", "what", said="the pump is broken")
    assert step(flows, PARKED, known, "the pump is broken").position == at("main", "what", said="the pump is broken")
    # A number first is still not guessed at, and someone who has not consented is welcomed first.
    assert step(flows, None, known, "1") == start(flows, known)
    assert step(flows, None, context(consent=False), "the pump is broken") == start(flows, context(consent=False))


def test_going_back_to_the_menu_drops_the_held_text(tmp_path):
    flows = home(tmp_path)

    back = step(flows, at("main", "what", said="the pump is broken"), context(), "0")
    assert back.position == MAIN_MENU

    turn = step(flows, back.position, context(), "1")
    turn = step(flows, turn.position, context(), "1")
    assert prompts(turn) == ["Anything to add?"]  # asked: nothing is held any more


def test_an_option_that_leads_elsewhere_runs_only_its_own_actions_and_saves_no_number(tmp_path):
    flows = home(tmp_path)

    turn = step(flows, at("order", "note", fruit="apple"), context(), "0")

    assert actions(turn) == []  # the way back files nothing
    assert prompts(turn) == ["Main menu."]
    assert turn.position == MAIN_MENU
    picked = step(flows, MAIN_MENU, context(), "1")
    assert picked.position == at("order", "fruit")  # the menu number is not saved as `said`


def test_a_state_marked_confidential_seals_the_conversation_there(tmp_path):
    sealed = HOME.replace("prompt: Is this an order?", "prompt: Is this an order?\n        confidential: true")
    flows = load(tmp_path, main=sealed, order=ORDER)

    assert flows.is_confidential(at("main", "what"))
    assert not flows.is_confidential(MAIN_MENU)
