"""The fuzz suite's fixtures and strategies: hostile values for every field a provider or a staff member can send.

Every fuzz test runs a bounded number of derandomised cases (the same cases on every run, but for the
provider ids made unique with uuid4), and writes no `.hypothesis/` directory, so the suite stays fast and
its failures reproduce. Set
FUZZ_EXAMPLES to a whole number to multiply every test's count for a longer run, e.g.
`FUZZ_EXAMPLES=20 .venv/bin/pytest -q -s -p no:cacheprovider tests/fuzz`; `-s` shows how many cases
each test tried and how they were answered.
"""

import atexit
import base64
import os
import shutil
import string
import tempfile
from collections import Counter
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from sqlalchemy import func, select

from bot.models import Contact, Message
from bot.vocabulary import Direction

GATEWAY_SECRET = "fuzz-gateway-secret"
USSD_TOKEN = "ussd-secret"  # what the `twilio` fixture configures as USSD_TOKEN
NUL = "\x00"


def _scale() -> int:
    raw = os.environ.get("FUZZ_EXAMPLES", "").strip()
    if not raw:
        return 1
    if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
        raise pytest.UsageError(f"FUZZ_EXAMPLES must be a whole number from 1, not {raw!r}")
    return int(raw)


SCALE = _scale()

# Hypothesis keeps more than examples in its directory (the constants it found in our code, a unicode table): a
# temporary one, so that nothing is written into the repository. Once per process, though test modules import
# this module again under another name.
if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
    os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = tempfile.mkdtemp(prefix="baro-hypothesis-")
    atexit.register(shutil.rmtree, os.environ["HYPOTHESIS_STORAGE_DIRECTORY"], ignore_errors=True)
set_hypothesis_home_dir(os.environ["HYPOTHESIS_STORAGE_DIRECTORY"])


def fuzz(examples: int) -> hypothesis_settings:
    """A test's hypothesis settings: `examples` cases (times FUZZ_EXAMPLES), the same ones on every run, and no
    example database written into the repository."""
    return hypothesis_settings(
        max_examples=examples * SCALE,
        deadline=None,
        database=None,
        derandomize=True,
        print_blob=False,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,  # the fixtures are set up once per test, on purpose
            HealthCheck.too_slow,  # each case is a real HTTP request to the real app
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture
def channels(twilio, reconfigure):
    """Every provider configured: Twilio (its local double), the USSD token, the HTTP gateway's shared secret.
    List it before `web`."""
    reconfigure(GATEWAY_SECRET=GATEWAY_SECRET)
    return twilio


@pytest.fixture
def web(channels, app):
    """The real app. A crash is raised into the test with its traceback (hypothesis then shrinks the case), rather
    than answered with a 500; a 5xx the app answers itself fails the test's own assertion."""
    with TestClient(app) as client:
        yield client


@pytest.fixture
def tally(request):
    """Counts what a fuzz test tried, by outcome; printed when it ends (run with `-s` to see it)."""
    counts: Counter[str] = Counter()
    yield counts
    cases = counts.pop("cases", 0)
    details = ", ".join(f"{count} {what}" for what, count in sorted(counts.items()))
    print(f"\n[fuzz] {request.node.name}: {cases} cases ({details})")


def answered(tally: Counter, response) -> None:
    """Never a 5xx, whatever was sent; counts the answer's status."""
    tally["cases"] += 1
    tally[f"HTTP {response.status_code}"] += 1
    assert response.status_code < 500, f"{response.status_code}: {response.text[:500]}"


# --- what the database holds ------------------------------------------------------------------


def inbound(runtime, channel: str, provider_id: str) -> list[tuple[Message, Contact]]:
    """The inbound messages stored under a provider's id on a channel, with their senders."""
    with runtime.database() as db:
        rows = db.execute(
            select(Message, Contact)
            .join(Contact, Message.contact_id == Contact.id)
            .where(Message.direction == Direction.IN, Message.channel == channel, Message.provider_id == provider_id)
        )
        return [(message, contact) for message, contact in rows]


def inbound_count(runtime) -> int:
    with runtime.database() as db:
        return db.scalar(select(func.count()).select_from(Message).where(Message.direction == Direction.IN))


def assert_kept(runtime, channel: str, provider_id: str, text: str, media: tuple[str, ...] | None = ()) -> None:
    """Exactly one inbound message has this id, with this text (read in clear, or decrypted for a confidential
    report) and these media URLs (None: not checked), unless the person refused consent in that very message,
    which erases their texts by design."""
    found = inbound(runtime, channel, provider_id)
    assert len(found) == 1, f"{len(found)} inbound messages with id {provider_id!r} on {channel}"
    message, contact = found[0]
    if message.redacted:
        assert contact.consent == "refused", "a text was erased without a refusal of consent"
        return
    stored = runtime.vault.decrypt(message.text_encrypted) if message.text_encrypted else message.text
    assert (stored or "") == text
    if media is not None:
        assert tuple(message.media or ()) == media


# --- strategies -----------------------------------------------------------------------------------

# Characters people, handsets, aggregators and attackers send: NUL and other controls, invisible and
# line-breaking characters, Bambara letters, digits that `str.isdigit()` takes and `int()` may not,
# emoji (with skin tones and flags), accents, and the characters forms, URLs, CSV and HTML treat apart.
SPECIAL = (
    "\x00\x01\x07\x08\t\n\x0b\x0c\r\x1b\x1f\x7f\x85\xa0\u00ad\u200b\u200e\u202e\u2028\u2029\ufeff\ufffd"
    "ɛɔɲŋƐƆƝŊ"
    "²³¹½٣١٠۴߁१𝟏０"
    "😀👍🏽🇲🇱❤️"
    "éèàçÉœ"
    "&=+%;#?*/\\\"'<>`|,@$[]{}~ "
)
NASTY = SPECIAL + string.ascii_letters + string.digits
EDGE_TEXTS = [
    "",
    " ",
    "\x00",
    "\x00\x00",
    "@",
    "0",
    "1",
    "98",
    "*",
    "**",
    "1*2",
    "STOP",
    "stop",
    "ARRET",
    "AIDE",
    "Bonjour",
    "I ni ce",
    "ɛɔɲŋ",
    "=1+1",
    "-1",
    "+1",
    "%00",
    "%",
    "&",
    "=",
    "<script>alert(1)</script>",
    "]]>",
    "\r\n",
    "\u2028",
    "\ufeff",
    "²",
    "٣",
    "9" * 25,
    str(10**30),
    str(-(10**30)),
    "whatsapp:",
    "whatsapp:+22370000001",
]


def repeated(unit: str, length: int) -> str:
    return (unit * length)[:length]


# Long texts: around MAX_TEXT_CHARS (4000) and the staff forms' limits, in one- to four-byte characters.
long_texts = st.builds(
    repeated,
    st.text(alphabet=NASTY, min_size=1, max_size=4),
    st.integers(900, 4100) | st.sampled_from([1000, 1001, 3999, 4000, 4001, 5000]),
)

# Any text a form can carry (hypothesis leaves surrogates out: they cannot be encoded in UTF-8).
texts = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=NASTY, max_size=60),
    st.sampled_from(EDGE_TEXTS),
    long_texts,
)
short_texts = st.one_of(st.text(max_size=20), st.text(alphabet=NASTY, max_size=20), st.sampled_from(EDGE_TEXTS))

# Numbers as people and attackers type them.
numberish = st.one_of(
    st.integers(-(10**30), 10**30).map(str),
    st.integers(-3, 1200).map(str),
    st.sampled_from(
        [
            "0",
            "-1",
            "+1",
            " 1 ",
            "1_0",
            "0x1",
            "1e3",
            "1.0",
            "NaN",
            "inf",
            "²",
            "1²",
            "𝟏",
            "٣",
            "١٢",
            "9" * 25,
            str(2**31),
            str(2**31 - 1),
            str(2**63),
            str(2**63 - 1),
            str(999_999_999),
            str(1_000_000_000),
        ]
    ),
)

dates = st.one_of(
    st.dates().map(str),
    st.sampled_from(
        [
            "2024-02-30",
            "0001-01-01",
            "1999-12-31",
            "2000-01-01",
            "2999-12-31",
            "3000-01-01",
            "9999-12-31",
            "2024-13-01",
            "20240101",
            "2024-W01-1",
            "2024-1-1",
            "２０２４-01-01",
            "٢٠٢٤-٠١-٠١",
            "2024-01-01T00:00",
        ]
    ),
)


def _cursor(moment: datetime, number: str) -> str:
    return base64.urlsafe_b64encode(f"{moment.isoformat()}|{number}".encode()).decode().rstrip("=")


# Page cursors (`before`): well-formed ones anywhere in time and id, and broken ones.
cursors = st.one_of(
    st.builds(
        _cursor,
        st.datetimes(timezones=st.just(UTC)) | st.datetimes(),
        numberish,
    ),
    st.builds(_cursor, st.just(datetime(2999, 12, 31, tzinfo=UTC)), st.integers(1, 2**63 - 1).map(str)),
    st.binary(max_size=40).map(lambda raw: base64.urlsafe_b64encode(raw).decode()),
    short_texts,
)

# Mali numbers as providers write them, and senders that are no number at all.
mali_numbers = st.from_regex(r"\+2237[0-9]{7}", fullmatch=True)
senders = st.one_of(
    mali_numbers,
    mali_numbers.map(lambda number: number.removeprefix("+223")),
    mali_numbers.map(lambda number: "00" + number[1:]),
    mali_numbers.map(lambda number: "whatsapp:" + number),
    st.builds(lambda pad, number: pad + number + pad, st.sampled_from([" ", "\t", "\x00", "\n"]), mali_numbers),
    short_texts,
)


def sometimes_absent(strategy):
    """A field's value, or sometimes None: the field left out."""
    return st.one_of(strategy, st.none())


# Fields no provider sends: random names (a NUL in one included), and names close to real ones.
extra_fields = st.dictionaries(
    st.one_of(
        st.text(max_size=12), st.text(alphabet=NASTY, max_size=12), st.sampled_from(["Bo\x00dy", "body", " From"])
    ),
    texts,
    max_size=4,
)
