"""Forgiving matching: what people type on a basic phone compares equal to what a menu expects."""

import pytest

from bot.engine.matching import answer_key, fold


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        # case
        ("MENU", "menu"),
        ("Menu", "menu"),
        # French accents, precomposed or typed as letter + combining accent
        ("Français", "francais"),
        ("ARRÊT", "arret"),
        ("Éducation", "education"),
        ("Sénou", "senou"),
        ("Se\u0301nou", "senou"),
        # Bambara letters and the spellings of keyboards without them
        ("ɛ", "e"),
        ("Ɛ", "e"),
        ("ɔ", "o"),
        ("Ɔ", "o"),
        ("ɲ", "ny"),
        ("Ɲ", "ny"),
        ("ŋ", "ng"),
        ("Ŋ", "ng"),
        ("ñ", "ny"),  # older Bambara spelling
        ("DAMINƐ", "damine"),
        ("A JƆ", "a jo"),
        ("  Ɛ́ɲɛ ", "enye"),
        ("Kɛnɛya", "keneya"),
        # spacing: around, inside, tabs, new lines, non-breaking space
        ("  segin  ", "segin"),
        ("a   jo", "a jo"),
        ("a\tjo\n", "a jo"),
        ("a\u00a0jo", "a jo"),
        ("", ""),
        ("   ", ""),
        # width: a full-width digit from some phone keyboards
        ("１", "1"),
    ],
)
def test_fold_forgets_case_accents_bambara_letters_and_spacing(typed, folded):
    assert fold(typed) == folded


@pytest.mark.parametrize(
    ("one", "other"),
    [("ɲɛ", "nye"), ("Ɲɛ", "NYE"), ("jɔ", "jo"), ("ŋaniya", "nganiya"), ("Bamanankan", "bamanankan")],
)
def test_a_bambara_word_typed_without_its_letters_compares_equal(one, other):
    assert fold(one) == fold(other)


@pytest.mark.parametrize("different", [("1", "11"), ("sigida", "sigidaw"), ("a jo", "ajo"), ("e", "o")])
def test_fold_keeps_different_words_different(different):
    one, other = different
    assert fold(one) != fold(other)


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("1", "1"),
        ("1.", "1"),
        ("1)", "1"),
        (" 1) ", "1"),
        ("1 )", "1"),
        ("1 .", "1"),
        ("1-", "1"),
        ("1:", "1"),
        ("12", "12"),
        ("12.", "12"),
        ("１", "1"),
        ("1!", "1"),
        ("1?", "1"),
    ],
)
def test_answer_key_reads_a_number_with_punctuation_as_that_number(typed, key):
    assert answer_key(typed) == key


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("Menu.", "menu"),
        ("STOP!", "stop"),
        ("segin ?", "segin"),
        ("  A JƆ  ", "a jo"),
        ("Français", "francais"),
        ("", ""),
        ("...", ""),
    ],
)
def test_answer_key_of_words_is_the_folded_words_without_end_punctuation(typed, key):
    assert answer_key(typed) == key


@pytest.mark.parametrize("typed", ["1 2", "1.2", "1a", "(1)", "n°1"])
def test_answer_key_does_not_make_a_number_out_of_something_else(typed):
    assert answer_key(typed) != "1"
