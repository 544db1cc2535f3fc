"""References (bot.references): new ones have no look-alike characters, typed ones are forgiven their
look-alikes when matched to the person's own, and every reference ever given stays valid, exactly.
"""

import math

import pytest

from bot import references
from bot.references import ALPHABET, GIVEN, LENGTH, LOOK_ALIKES, fold, looks_like_one, match, new_reference
from tests.flows.deployment import catalogues  # noqa: F401 (a fixture: the real catalogues)

# The confusions people make (issue 12): a new reference holds at most one member of each group.
CONFUSED = ("S5", "Z2", "B8", "G6", "O0Q", "I1L", "UV")


def test_new_references_need_no_guessing():
    drawn = {new_reference() for _ in range(10_000)}

    assert all(len(reference) == LENGTH for reference in drawn)
    assert set().union(*map(set, drawn)) == set(ALPHABET)  # 10,000 draws use every symbol, and only those
    for group in CONFUSED:
        assert len(set(group) & set(ALPHABET)) <= 1, group
    assert not set("01OIL") & set(ALPHABET)
    # Each reference is its own folded form: a new one and its look-alikes always compare the same.
    assert all(fold(reference) == reference for reference in drawn)


def test_new_references_keep_enough_entropy_in_six_characters():
    assert (len(ALPHABET), LENGTH) == (25, 6)
    assert math.log2(len(ALPHABET)) * LENGTH > 27.8  # about 244 million references
    assert LENGTH <= references.MAX_LENGTH <= 12  # the String(12) columns


def test_every_reference_given_before_stays_one_exactly():
    assert set(ALPHABET) <= set(GIVEN)
    for old in ("GAPN5V", "SZBGUQ", "T2345Z", "k7m-p3x"):
        assert looks_like_one(old) == references.clean(old)
    assert looks_like_one("GAPNS") is None and looks_like_one("GAP N5V 2") is None
    assert looks_like_one("GAPN0V") is None  # never given: the staff's search stays exact


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("GAPNSV", "6APN5V"),
        ("gapn5u", "6APN5V"),
        ("6-A-P-N-5-V", "6APN5V"),
        ("ZBOQIL", "280011"),
        ("2800 11", "280011"),
    ],
)
def test_look_alikes_fold_to_one_character(typed, folded):
    assert fold(typed) == folded


def test_only_what_could_be_a_reference_folds():
    assert fold("GAPN5") is None
    assert fold("GAPN5VV") is None
    assert fold("GAPN5²") is None  # a superscript two is alphanumeric, and no reference
    assert fold("ÉAPN5V") is None


def test_every_look_alike_group_folds_to_the_member_new_references_keep():
    for group in LOOK_ALIKES:
        kept = set(group) & set(ALPHABET)
        assert {fold(member * LENGTH) for member in group} == {group[0] * LENGTH}
        assert kept <= {group[0]}


def test_a_typed_reference_matches_the_persons_own_exactly_then_with_look_alikes():
    own = ("K7MP3X", "GAPN5V")
    assert match("GAPN5V", own) == "GAPN5V"
    assert match("gapnsv", own) == "GAPN5V"
    assert match("GAPNSU", own) == "GAPN5V"
    assert match("K7MP3X", own) == "K7MP3X"
    assert match("GAPNSV", ("K7MP3X",)) is None  # only the person's own are compared
    assert match("GAPNSV", ()) is None
    assert match("hello?", own) is None


def test_two_own_references_that_read_alike_are_told_apart_only_exactly():
    own = ("GAPN5V", "GAPNSV")  # both given before look-alikes were left out
    assert match("GAPN5V", own) == "GAPN5V"
    assert match("GAPNSV", own) == "GAPNSV"
    assert match("6APN5V", own) is None


def test_no_keyword_could_be_taken_for_a_new_reference(catalogues):  # noqa: F811
    """Keywords are read before a reference typed at the follow-up: none may spell a new one."""
    for meaning, words in catalogues.keywords().items():
        if meaning == "greeting":
            continue  # no command: greeting words are only left out when counting a problem's words (MADAME)
        for word in words:
            cleaned = references.clean(word)
            assert not (len(cleaned) == LENGTH and set(cleaned) <= set(ALPHABET)), word
