"""Every kind of turn the real flows take is pure: the same message in the same situation gives the same
turn, and the engine changes neither the position nor the facts it is given.
"""

import copy

import pytest

from bot.engine.interpreter import step
from tests.flows.people import PARKED
from tests.flows.screens import SENOU_DAY

# ---------------------------------------------------------------------------------------------
# The engine is pure, through every real flow.

FR = {"language": "fr", "consent": True}
AT_NIAMANA = {**FR, "site": "niamana"}
SCENARIOS = [
    pytest.param(None, {}, "Bonjour", id="first-contact"),
    pytest.param({"flow": "welcome", "state": "language", "vars": {}}, {}, "2", id="choose-language"),
    pytest.param(
        {"flow": "welcome", "state": "consent", "vars": {"language": "fr"}},
        {"language": "fr"},
        "1",
        id="accept",
    ),
    pytest.param({"flow": "main", "state": "menu", "vars": {}}, {"language": "fr", "consent": True}, "9", id="invalid"),
    pytest.param(None, {"language": "fr", "consent": True}, "1", id="returning-first-message-1"),
    pytest.param(
        {"flow": "complaint", "state": "site", "vars": {}},
        {"language": "fr", "consent": True},
        "2",
        id="site",
    ),
    pytest.param(
        {"flow": "complaint", "state": "description", "vars": {"site": "senou", "category": "food"}},
        {"language": "bm", "consent": True},
        "Dumuni tɛ",
        id="submit",
    ),
    pytest.param(
        {"flow": "main", "state": "language", "vars": {}},
        {"language": "fr", "consent": True},
        "2",
        id="relanguage",
    ),
    pytest.param({"flow": "main", "state": "menu", "vars": {}}, {"language": "fr", "consent": True}, "STOP", id="stop"),
    pytest.param(None, {"language": "fr", "consent": True, "opted_out": True}, "START", id="opt-in"),
    pytest.param(None, {"language": "bm", "consent": True, "site": "niamana"}, "MENU", id="menu"),
    pytest.param({"flow": "main", "state": "menu", "vars": {}}, AT_NIAMANA, "3", id="assemblies"),
    pytest.param({"flow": "assembly", "state": "pick", "vars": {}}, AT_NIAMANA, "2", id="full"),
    pytest.param(
        {
            "flow": "assembly",
            "state": "confirm",
            "vars": {"site": "senou", "assembly": "21", "assembly_when": SENOU_DAY},
        },
        {"language": "bm", "consent": True, "site": "senou"},
        "1",
        id="sign-up",
    ),
    pytest.param(
        {"flow": "main", "state": "menu", "vars": {}},
        {**AT_NIAMANA, "site": "faladie"},
        "3",
        id="none-coming",
    ),
    pytest.param(
        {"flow": "confidential", "state": "details", "vars": {"category": "threat"}},
        FR,
        "0",
        id="no-details",
    ),
    pytest.param(
        {"flow": "confidential", "state": "how", "vars": {"category": "threat", "text": "", "callback": "other"}},
        FR,
        "après 18h",
        id="confidential",
    ),
    pytest.param({"flow": "followup", "state": "type_reference", "vars": {}}, FR, "k7q2mx", id="follow-up"),
    pytest.param(PARKED, FR, "5", id="parked-5"),
    pytest.param(PARKED, FR, "merci", id="parked-merci"),
    pytest.param(PARKED, FR, "AIDE", id="parked-help"),
]


@pytest.mark.parametrize(("position", "facts", "text"), SCENARIOS)
def test_the_same_message_in_the_same_situation_gives_the_same_turn(flows, make_context, position, facts, text):
    position, context = copy.deepcopy(position), make_context(**facts)

    first = step(flows, position, context, text)
    second = step(flows, position, context, text)

    assert first == second
    assert first.replies or first.actions  # a real turn, not two empty ones


@pytest.mark.parametrize(("position", "facts", "text"), SCENARIOS)
def test_the_engine_does_not_change_the_position_or_the_facts_it_is_given(flows, make_context, position, facts, text):
    position, context = copy.deepcopy(position), make_context(**facts)
    position_before, facts_before = copy.deepcopy(position), copy.deepcopy(dict(context.facts))

    turn = step(flows, position, context, text)

    assert position == position_before
    assert dict(context.facts) == facts_before
    if position is not None and turn.position is not None:
        turn.position["vars"]["later"] = "changed by the caller"
        assert "later" not in position.get("vars", {})
