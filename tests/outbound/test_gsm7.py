"""SMS cost and GSM folding: what a text costs to send, and how it reads on an old phone."""

import pytest

from bot.outbound.gsm7 import ALPHABETS, GSM7_BASIC, GSM7_EXTENDED, SmsCost, cost, is_gsm7, prepare, to_gsm

BAMBARA_LETTERS = "ɛɔɲŋƐƆƝŊ"
FRENCH_NOT_GSM = "âêîôûëïœçÂÊÎÔÛËÏÀÈÙÒÌŒ"


def test_the_alphabet_tables_follow_gsm_03_38():
    assert len(GSM7_BASIC) == 127  # 128 code points, less the escape
    assert frozenset("\f^{}\\[~]|€") == GSM7_EXTENDED
    assert not GSM7_BASIC & GSM7_EXTENDED
    for ch in "@$_\n\r 0123456789!\"#%&'()*+,-./:;<=>?¤" + "éèàùòñÑÉÇüìÄÖÜäöÅåÆæßØø¡¿£¥§" + "ΔΦΓΛΩΠΨΣΘΞ":
        assert ch in GSM7_BASIC, ch
    for ch in BAMBARA_LETTERS + FRENCH_NOT_GSM + "\t`\x1b":
        assert ch not in GSM7_BASIC | GSM7_EXTENDED, ch


def test_empty_text_is_still_one_sms():
    assert cost("") == SmsCost(encoding="GSM-7", units=0, parts=1, characters=0)


@pytest.mark.parametrize(
    ("length", "parts"), [(1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)]
)
def test_gsm7_fits_160_alone_and_153_per_part(length, parts):
    assert cost("a" * length) == SmsCost("GSM-7", length, parts, length)


@pytest.mark.parametrize(("count", "parts"), [(80, 1), (81, 2)])
def test_extension_characters_count_two_septets(count, parts):
    assert cost("€" * count) == SmsCost("GSM-7", 2 * count, parts, count)


def test_an_escape_pair_does_not_straddle_two_parts():
    # 152 + 2 would overflow part 1, so the € opens part 2: 152 | 2 + 151 | 1.
    text = "a" * 152 + "€" + "a" * 152
    assert cost(text) == SmsCost("GSM-7", 306, 3, 305)
    assert cost("a" * 151 + "€" + "a" * 153).parts == 2  # the pair ends part 1 exactly


@pytest.mark.parametrize(
    ("length", "parts"), [(70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)]
)
def test_ucs2_fits_70_alone_and_67_per_part(length, parts):
    text = "ɛ" * length
    assert cost(text) == SmsCost("UCS-2", length, parts, length)


def test_one_bambara_letter_turns_the_whole_text_into_ucs2():
    text = "Bonjour, votre demande est bien enregistrée. Un agent vous rappelle demain matin au numéro ɛ."
    text = text.ljust(100, ".")
    assert len(text) == 100
    assert cost(text.replace("ɛ", "e")) == SmsCost("GSM-7", 100, 1, 100)
    assert cost(text) == SmsCost("UCS-2", 100, 2, 100)


def test_an_emoji_counts_two_utf16_units():
    assert cost("ok 👍") == SmsCost("UCS-2", 5, 1, 4)
    assert cost("👍" * 35) == SmsCost("UCS-2", 70, 1, 35)
    assert cost("👍" * 36).parts == 2


def test_a_surrogate_pair_does_not_straddle_two_parts():
    # 66 + 2 would overflow part 1, so the emoji opens part 2: 66 | 2 + 65 | 1.
    text = "a" * 66 + "👍" + "a" * 66
    assert cost(text) == SmsCost("UCS-2", 134, 3, 133)


def test_extension_characters_count_once_in_ucs2():
    assert cost("€ɛ") == SmsCost("UCS-2", 2, 1, 2)


def test_is_gsm7():
    assert is_gsm7("")
    assert is_gsm7("Où {€} @home\n")
    assert not is_gsm7("ê")
    assert not is_gsm7("ɲ")
    assert not is_gsm7("👍")


def test_bambara_folds_to_the_older_spelling():
    folded = to_gsm("Aw ni ce, aw ka gɛlɛya sɛbɛnna. Nimɔrɔ: K7MP3X.")
    assert folded == "Aw ni ce, aw ka gèlèya sèbènna. Nimòrò: K7MP3X."
    assert cost(folded).encoding == "GSM-7"
    assert to_gsm("ɲɔgɔn") == "nyògòn"
    assert to_gsm("ŋ") == "ng"
    assert to_gsm("Ɛ Ɔ Ɲ Ŋ") == "E O Ny Ng"
    assert to_gsm("Ɲɛnɛ") == "Nyènè"


def test_french_keeps_gsm7_accents_and_folds_the_rest_to_the_plain_letter():
    assert to_gsm("Où êtes-vous ? Ça coûte façon œuvre") == "Où etes-vous ? Ça coute facon oeuvre"
    assert to_gsm("âêîôûëïç") == "aeiouei" + "c"
    assert to_gsm("ÂÊÎÔÛËÏÀÈÙÒÌ") == "AEIOUEIAEUOI"
    assert to_gsm("Œuvre, É, Ç, é, è, à, ù") == "OEuvre, É, Ç, é, è, à, ù"


def test_typography_folds_to_plain_ascii():
    assert to_gsm("l’eau ‘x’ “oui” «\u00a0non\u00a0» 10\u202f000… a–b—c") == (
        "l'eau 'x' \"oui\" \" non \" 10 000... a-b-c"
    )


def test_other_characters_lose_their_diacritics_or_become_a_question_mark():
    assert to_gsm("á ó ú ŕ ẽ ÿ") == "a o u r e y"
    assert to_gsm("e\u0301") == "é"  # decomposed é is the GSM-7 é, not a bare e
    assert to_gsm("ɛ\u0300") == "è"  # a tone mark on a Bambara vowel is dropped
    assert to_gsm("ok 👍") == "ok ?"
    assert to_gsm("中文") == "??"


def test_gsm7_text_is_unchanged_by_folding():
    text = "".join(sorted(GSM7_BASIC | GSM7_EXTENDED))
    assert to_gsm(text) == text


def test_folding_always_yields_gsm7():
    samples = (
        "".join(sorted(GSM7_BASIC | GSM7_EXTENDED))
        + BAMBARA_LETTERS
        + FRENCH_NOT_GSM
        + "’‘“”«»\u00a0\u202f…–—\t\x1b\u200b\u00ad"
        + "👍🏽❤️👨‍👩‍👧1️⃣🇲🇱"
        + "中文日本語한국어"
        + "".join(chr(c) for c in range(0x20, 0x3000))
    )
    for ch in samples:
        assert is_gsm7(to_gsm(ch)), repr(ch)
    assert is_gsm7(to_gsm(samples))


def test_prepare():
    text = "Nimɔrɔ 👍"
    assert ALPHABETS == ("unicode", "gsm", "auto")
    assert prepare(text, "unicode") == text
    assert prepare(text, "gsm") == "Nimòrò ?"
    with pytest.raises(ValueError):
        prepare("x", "klingon")


# Texts as the line sends them: the short Bambara one fits one UCS-2 SMS (70 characters), the long one needs
# two, or one once folded.
FRENCH = "Merci. Votre plainte est enregistrée. Référence : K7MP3X. Envoyez 5 pour suivre votre dossier."
FRENCH_CIRCUMFLEX = "Où êtes-vous ? " * 6  # 90 characters: ê makes it UCS-2 (2 parts), folded it is 1
BAMBARA_SHORT = "I ni cɛ! I ka kɔnɔnafili sɛbɛnna. Nimɔrɔ: K7MP3X. 5 ci ka a ɲini."
BAMBARA_LONG = "I ni cɛ! I ka kɔnɔnafili sɛbɛnna. Nimɔrɔ: K7MP3X. A sɛbɛn ka bɔ ɲɔgɔn fɛ. 5 ci ka a ɲini ka ŋɔni."
FULFULDE_LONG = "Jaaraama! Ɓe njaɓii bataake maa. " * 3  # ɓ has no GSM-7 spelling: folding would print "?"


@pytest.mark.parametrize(
    ("text", "alphabet", "sent", "parts"),
    [
        (FRENCH, "auto", FRENCH, 1),  # GSM-7 already: unchanged under every setting
        (FRENCH, "gsm", FRENCH, 1),
        (FRENCH, "unicode", FRENCH, 1),
        (BAMBARA_SHORT, "auto", BAMBARA_SHORT, 1),  # one UCS-2 part, as cheap as folded: the letters stay
        (BAMBARA_SHORT, "gsm", to_gsm(BAMBARA_SHORT), 1),
        (BAMBARA_SHORT, "unicode", BAMBARA_SHORT, 1),
        (BAMBARA_LONG, "auto", to_gsm(BAMBARA_LONG), 1),  # two UCS-2 parts, or one folded: folded
        (BAMBARA_LONG, "gsm", to_gsm(BAMBARA_LONG), 1),
        (BAMBARA_LONG, "unicode", BAMBARA_LONG, 2),
        (FRENCH_CIRCUMFLEX, "auto", "Où etes-vous ? " * 6, 1),
        (FULFULDE_LONG, "auto", FULFULDE_LONG, 2),  # never folded into question marks
        (FULFULDE_LONG, "gsm", to_gsm(FULFULDE_LONG), 1),
    ],
)
def test_each_alphabet_setting_sends_and_costs(text, alphabet, sent, parts):
    assert prepare(text, alphabet) == sent
    assert cost(prepare(text, alphabet)).parts == parts


def test_auto_keeps_the_letters_while_they_cost_no_more_parts_than_the_folded_spelling():
    # "ɛ" and "a": 70 UCS-2 units is one SMS, 71 is two; folded, both are one GSM-7 SMS.
    assert prepare("ɛ" + "a" * 69, "auto") == "ɛ" + "a" * 69
    assert prepare("ɛ" + "a" * 70, "auto") == "è" + "a" * 70
    # 134 units are two UCS-2 parts; folded, 268 septets (ɲ→ny) are two GSM-7 parts too: the letters stay.
    assert prepare("ɲ" * 134, "auto") == "ɲ" * 134
    assert prepare("ɲ" * 135, "auto") == "ny" * 135  # three UCS-2 parts against two
    # Extension characters count two septets in GSM-7: one ɛ and 80 € fold to 161 septets, two parts, no
    # cheaper than the two UCS-2 parts of 81 characters; with 79 €, 159 septets fit one SMS.
    assert prepare("ɛ" + "€" * 80, "auto") == "ɛ" + "€" * 80
    assert prepare("ɛ" + "€" * 79, "auto") == "è" + "€" * 79
    for n in range(0, 400, 7):
        text = "ɔ" + "b" * n
        assert cost(prepare(text, "auto")).parts == min(cost(text).parts, cost(to_gsm(text)).parts), n
