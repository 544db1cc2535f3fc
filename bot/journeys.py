"""Whole conversations as a person has them, and every other text baro sends, costed as SMS really sends them.

Pure: no I/O. A journey is a person's scripted messages, from their first one to what they came for (a
complaint recorded, a place at an assembly...). It is walked through the real engine with the sample data
bot.screens uses (data menus' and action units' samples, the longest plausible values), and each turn is
written as the SMS channel writes it: the turn's replies joined into ONE message (Catalogues.write), in the
SMS alphabet (prepare). "Thank you." followed by the main menu is one reply, and is costed as one.

Single texts are the rest of what is sent: a question asked again after a wrong answer, the keywords'
answers, closing messages, assembly notices, staff replies. Broadcasts are written by organizers at send
time; the admin counts their parts before they go out (bot.broadcasts.audience).

`flows check` refuses a conversation over its budget (CONVERSATION_BUDGETS) and a text of ours over an
SMS reply's limit; `flows report` prints them all.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot import samples
from bot.actions.base import ActionUnit
from bot.assemblies import texts as assembly_texts
from bot.engine.flow import FlowSet
from bot.engine.interpreter import Context, Turn, step
from bot.i18n import Answer, Catalogues
from bot.menus.base import DataMenu
from bot.notices import PROTECTION_ALERT, PROTECTION_OVERDUE, RECEIVED, REFERRED, REPLY, RESOLVED
from bot.outbound.gsm7 import ALPHABETS, cost, prepare
from bot.screens import ALL_LANGUAGES, sample_data, table
from bot.seed import CANNED_REPLIES, PARTNERS, SITES

# In a script, the person's answer to the language menu: their language's number in it.
LANGUAGE = "{language}"
# What people type as a problem: its length costs the person, not baro, so any plausible one will do.
PROBLEM = "L'eau du forage est sale depuis une semaine"
WHAT_HAPPENED = "Un homme me menace quand je vais chercher l'eau"


@dataclass(frozen=True)
class Says:
    """One message a person sends, and what they mean by it (for the message when a script goes stale)."""

    text: str
    means: str


@dataclass(frozen=True)
class Journey:
    """A whole conversation: who is writing, what they send, and what their last message must get done."""

    name: str  # as CONVERSATION_BUDGETS names it
    title: str
    says: tuple[Says, ...]
    # The action (and its argument) the last message must trigger: the person got what they came for.
    done: tuple[str, str | None]
    # The facts baro has about the person when they write (as bot.conversation.conversations reads them);
    # someone who has consented also has a language: the journey's.
    knows: Mapping[str, Any] = field(default_factory=lambda: RETURNING)


# Nothing is known of someone who never wrote.
NEW: Mapping[str, Any] = {
    "language": None,
    "consent": False,
    "site": None,
    "site_name": None,
    "site_confirmed": False,
    "opted_out": False,
}
# A returning person: consented, their site chosen recently enough not to be asked "still at...?" again.
RETURNING: Mapping[str, Any] = {
    **NEW,
    "consent": True,
    "site": samples.SITE,
    "site_name": dict((slug, name) for slug, name, _ in SITES)[samples.SITE],
    "site_confirmed": True,
}


# The scripts. When a flow changes what is asked, change the messages here (menu numbers are what posters
# and people type); a script that no longer leads where it should fails `flows check`, naming where it stood.
JOURNEYS = (
    Journey(
        "first_complaint",
        "first complaint (new person)",
        (
            Says("Bonjour", "a first message"),
            Says(LANGUAGE, "language menu: their language"),
            Says("1", "consent: I accept"),
            Says("1", "main menu: report a problem"),
            Says("1", "site menu: the first site"),
            Says("2", "category: water and sanitation"),
            Says(PROBLEM, "the problem, described"),
        ),
        done=("submit", "complaint"),
        knows=NEW,
    ),
    Journey(
        "returning_complaint",
        "complaint (returning person)",
        (
            Says("Bonjour", "a greeting"),
            Says("1", "main menu: report a problem"),
            Says("2", "category: water and sanitation"),
            Says(PROBLEM, "the problem, described"),
        ),
        done=("submit", "complaint"),
    ),
    Journey(
        "written_complaint",
        "complaint written at the main menu (returning person)",
        (
            Says("Bonjour", "a greeting"),
            Says(PROBLEM, "the problem, written instead of a number"),
            Says("1", "what it is: a problem"),
            Says("2", "category: water and sanitation"),
        ),
        done=("submit", "complaint"),
    ),
    Journey(
        "complaint_site_to_confirm",
        "complaint (returning person, site chosen long ago)",
        (
            Says("Bonjour", "a greeting"),
            Says("1", "main menu: report a problem"),
            Says("1", "still at their site: yes"),
            Says("2", "category: water and sanitation"),
            Says(PROBLEM, "the problem, described"),
        ),
        done=("submit", "complaint"),
        knows={**RETURNING, "site_confirmed": False},
    ),
    Journey(
        "need",
        "need (returning person)",
        (
            Says("Bonjour", "a greeting"),
            Says("2", "main menu: tell a need"),
            Says("3", "category: health"),
            Says("Mon enfant a besoin de médicaments", "the need, described"),
        ),
        done=("submit", "need"),
    ),
    Journey(
        "signup",
        "assembly sign-up (returning person)",
        (
            Says("Bonjour", "a greeting"),
            Says("3", "main menu: citizen assembly"),
            Says("1", "assembly menu: the first one"),
            Says("1", "sign up: yes"),
        ),
        done=("sign_up", "confirmed"),
    ),
    Journey(
        "confidential",
        "confidential report (returning person)",
        (
            Says("Bonjour", "a greeting"),
            Says("4", "main menu: confidential report"),
            Says("3", "what happened: threat"),
            Says(WHAT_HAPPENED, "details, in a few words"),
            Says("1", "call back: yes, on this number"),
        ),
        done=("submit", "confidential"),
    ),
    Journey(
        "followup",
        "follow-up of a reference (returning person)",
        (
            Says("Bonjour", "a greeting"),
            Says("5", "main menu: follow a reference"),
            Says("1", "their references: the first one"),
        ),
        done=("lookup_reference", None),
    ),
)

# What staff write when they resolve a case (at most bot.cases.lifecycle.OUTCOME_MAX_CHARS), in the person's
# language: a plausible one per demo language. Its length is staff's: reported, never refused by the check.
OUTCOMES = {
    "fr": "Le forage a été réparé et l'eau a été traitée. Un agent passera vérifier samedi.",
    "bm": "Kɔlɔn dilanna, a ji saniyara. Baarakɛla dɔ bɛna na a lajɛ sibiridon.",
}


class JourneyBroken(AssertionError):
    """A script that no longer leads where it should: the flows changed what they ask."""


@dataclass(frozen=True)
class Sent:
    """One text baro sends, as the catalogues write it (before the SMS alphabet)."""

    text: str

    def parts(self, alphabet: str) -> int:
        return cost(prepare(self.text, alphabet)).parts


@dataclass(frozen=True)
class Round:
    """One message of a journey, and the one reply it gets."""

    says: Says
    reply: Sent


@dataclass(frozen=True)
class Walk:
    """A journey in one language, message by message."""

    journey: Journey
    language: str
    rounds: tuple[Round, ...]

    def parts(self, alphabet: str) -> int:
        return sum(one.reply.parts(alphabet) for one in self.rounds)


@dataclass(frozen=True)
class Single:
    """A text sent on its own, outside the journeys' happy path."""

    name: str
    language: str  # a configured language, or "all" (in every language at once)
    reply: Sent
    # Its length is ours (flows, catalogues, sample data), not what staff wrote (a reply, an outcome).
    ours: bool = True


@dataclass(frozen=True)
class Samples:
    """What the engine and the catalogues need to write replies with sample data."""

    flows: FlowSet
    catalogues: Catalogues
    actions: Mapping[str, ActionUnit]
    menus: Mapping[str, DataMenu]
    # What every conversation knows of the line itself (bot.line: who runs it, what a message costs): the
    # deployment's own, so that a conversation is costed as this line really sends it.
    line: Mapping[str, Any] = field(default_factory=dict)

    def context(self, lang: str | None, facts: Mapping[str, Any]) -> Context:
        return Context(
            facts={**self.line, **facts},
            choices={name: menu.sample(self.catalogues, lang) for name, menu in self.menus.items()},
            keywords=self.catalogues.keywords(),
            spellings=self.catalogues.spellings,
        )

    def turn(self, lang: str | None, facts: dict, position: dict | None, text: str):
        """(the engine's turn, the reply as written) for `text` sent at `position`; `facts` are updated."""
        turn = step(self.flows, position, self.context(lang, facts), text)
        for action in turn.actions:
            facts.update(self.flows.registry.actions[action.name].facts(action.values))
        # As bot.conversation.conversations writes it: in the person's language (a refusal erases it, but the
        # goodbye is in the one they chose), with what the turn's actions produced (here, their samples).
        language = facts.get("language") or next(
            (a.values["language"] for a in turn.actions if a.values.get("language")), None
        )
        values: dict[str, Any] = {}
        for action in turn.actions:
            values.update(self.actions[action.name].samples(self.catalogues, lang))
        return turn, Sent(self.catalogues.write(Answer(turn.replies, language, values)))


def _where(position: dict | None) -> str:
    if not position:
        return "nowhere (no question open)"
    return f"{position['flow']}.{position['state']}" + (" (parked after a flow)" if position.get("parked") else "")


def walk(journey: Journey, lang: str, data: Samples) -> Walk:
    """`journey` in `lang`; JourneyBroken, naming where it stood, when its script no longer leads where it should."""
    facts = {**journey.knows, "language": lang if journey.knows.get("consent") else None}
    number = str(data.catalogues.languages.index(lang) + 1)
    position: dict | None = None
    rounds = []
    for index, says in enumerate(journey.says, start=1):
        turn, reply = data.turn(lang, facts, position, says.text.replace(LANGUAGE, number))
        problem = _went_wrong(turn, reply, journey.done if index == len(journey.says) else None)
        if problem:
            raise JourneyBroken(
                f"journey `{journey.name}` ({lang}), message {index} {says.text!r} ({says.means}), sent at "
                f"{_where(position)}: {problem}. Update its script in bot/journeys.py."
            )
        position = turn.position
        rounds.append(Round(says, reply))
    return Walk(journey, lang, tuple(rounds))


def _went_wrong(turn: Turn, reply: Sent, done: tuple[str, str | None] | None) -> str | None:
    """Why a message did not lead where its script says (`done`: the last one's action), or None."""
    if any(shown.hint for shown in turn.replies):
        return f"it was not taken as an answer, the question was asked again: {reply.text!r}"
    if not turn.replies:
        return "nothing was sent back"
    if done is None:
        return None if turn.position else f"the conversation ended: {reply.text!r}"
    name, arg = done
    if not any(action.name == name and action.arg == arg for action in turn.actions):
        did = ", ".join(f"{a.name}: {a.arg}" if a.arg else a.name for a in turn.actions) or "nothing"
        return f"the last message should do `{name}{': ' + arg if arg else ''}` but did {did}, replied {reply.text!r}"
    if not (turn.position and turn.position.get("parked")):
        return f"the last message should end the conversation, but {_where(turn.position)} waits: {reply.text!r}"
    return None


def walks(data: Samples, journeys: Iterable[Journey] = JOURNEYS) -> tuple[list[Walk], list[str]]:
    """Every journey in every language, and a line for each that no longer walks."""
    found, broken = [], []
    for journey in journeys:
        for lang in data.catalogues.languages:
            try:
                found.append(walk(journey, lang, data))
            except JourneyBroken as error:
                broken.append(str(error))
    return found, broken


def _reprompts(data: Samples) -> list[Single]:
    """Each question asked again after an answer that is none of its options (an empty message is none)."""
    found = []
    by_language = {
        lang: sample_data(data.flows, data.catalogues, lang, data.actions.values(), data.menus)[1]
        for lang in (*data.catalogues.languages, None)
    }
    for flow in data.flows.flows.values():
        for state in flow.states.values():
            if not state.waits:
                continue
            for lang in (None,) if state.all_languages else data.catalogues.languages:
                facts = {**RETURNING, "language": lang}
                position = {"flow": flow.name, "state": state.id, "vars": dict(by_language[lang])}
                turn, reply = data.turn(lang, facts, position, "")
                if any(reply_.hint for reply_ in turn.replies):
                    found.append(Single(f"asked again: {flow.name}.{state.id}", lang or ALL_LANGUAGES, reply))
    return found


def _keywords(data: Samples) -> list[Single]:
    """What the keywords answer, wherever they are sent (the main menu follows START)."""
    found = []
    found.append(Single("HELP (new person)", ALL_LANGUAGES, data.turn(None, dict(NEW), None, "HELP")[1]))
    for lang in data.catalogues.languages:
        known = {**RETURNING, "language": lang}
        for keyword, facts in (
            ("HELP", known),
            ("STOP", known),
            ("START", {**known, "opted_out": True}),
            ("CANCEL", known),
            ("END", known),
        ):
            found.append(Single(keyword, lang, data.turn(lang, dict(facts), None, keyword)[1]))
    return found


# The assembly texts sent outside a conversation, and the sign-up's own answers (quoted by the flow as {signup}).
ASSEMBLY_TEXTS = {
    "announced": assembly_texts.ANNOUNCED,
    "reminder": assembly_texts.REMINDER,
    "moved": assembly_texts.MOVED,
    "called off": assembly_texts.CANCELLED,
    "place given": assembly_texts.PLACE_GIVEN,
    "signed up": assembly_texts.SIGNED_UP,
    "waiting list": assembly_texts.WAITING,
}


def _notices(catalogues: Catalogues) -> list[Single]:
    """Texts sent outside a conversation: closing messages, staff replies, assembly notices, alerts."""
    found = []
    partner = max((name for name, *_ in PARTNERS), key=len)
    for lang in catalogues.languages:
        reference = {"reference": samples.REFERENCE}
        assembly = {
            **reference,
            "title": samples.ASSEMBLY_TITLE,
            "when": catalogues.longest(samples.WHEN_CANDIDATES, lang),
            "place": samples.ASSEMBLY_PLACE,
        }
        outcome = OUTCOMES.get(lang) or max(OUTCOMES.values(), key=len)
        filled = [
            ("case resolved (staff's outcome)", RESOLVED, {**reference, "outcome": outcome}, False),
            ("case referred to a partner", REFERRED, {**reference, "partner": partner}, True),
            *(
                (f"staff reply: {title}", REPLY, {**reference, "text": texts[lang]}, False)
                for title, texts in CANNED_REPLIES
                if lang in texts
            ),
            *((f"assembly: {name}", text, assembly, True) for name, text in ASSEMBLY_TEXTS.items()),
            ("received while the database is down", RECEIVED, {}, True),
        ]
        found += [
            Single(name, lang, Sent(catalogues.fill(lang, text, params)), ours) for name, text, params, ours in filled
        ]
    # Someone whose language is not known yet gets it in every language (bot.spool.languages.received).
    everyone = "\n".join(catalogues.text(lang, RECEIVED) for lang in catalogues.languages)
    found.append(Single("received while the database is down", ALL_LANGUAGES, Sent(everyone)))
    # To the protection focal points, in the default language.
    alert = {"reference": samples.REFERENCE, "hours": 24}
    for name, text in (("alert to focal points", PROTECTION_ALERT), ("overdue alert", PROTECTION_OVERDUE)):
        found.append(Single(name, catalogues.default, Sent(catalogues.fill(catalogues.default, text, alert))))
    return found


def singles(data: Samples) -> list[Single]:
    """Every text sent on its own: questions asked again, keywords' answers, notices."""
    return _reprompts(data) + _keywords(data) + _notices(data.catalogues)


def problems(
    data: Samples, budgets: Mapping[str, int], alphabet: str, max_parts: int, journeys: Sequence[Journey] = JOURNEYS
) -> list[str]:
    """Conversations over their budget, and texts of ours over an SMS reply's `max_parts`, with SMS in `alphabet`.

    Only journeys with a budget are walked: a deployment with flows of its own sets CONVERSATION_BUDGETS={}
    (or budgets for the journeys it keeps), since these scripts are written for the flows in flows/.
    """
    known = {journey.name for journey in journeys}
    found = [
        f"CONVERSATION_BUDGETS: no conversation `{name}` (known: {', '.join(sorted(known))})"
        for name in budgets
        if name not in known
    ]
    walked, found_broken = walks(data, [journey for journey in journeys if journey.name in budgets])
    found += found_broken
    for done in walked:
        parts, budget = done.parts(alphabet), budgets[done.journey.name]
        if parts > budget:
            found.append(
                f"conversation `{done.journey.name}` ({done.language}) costs {parts} SMS parts ({alphabet}),"
                f" over its budget of {budget}"
            )
        for index, one in enumerate(done.rounds, start=1):
            if one.reply.parts(alphabet) > max_parts:
                found.append(
                    f"conversation `{done.journey.name}` ({done.language}), message {index} {one.says.text!r}:"
                    f" the reply needs {one.reply.parts(alphabet)} SMS parts ({alphabet}), over {max_parts}"
                )
    for single in singles(data):
        if single.ours and single.reply.parts(alphabet) > max_parts:
            found.append(
                f"text `{single.name}` ({single.language}) needs {single.reply.parts(alphabet)} SMS parts"
                f" ({alphabet}), over {max_parts}"
            )
    return found


def _flat(text: str) -> str:
    return text.replace("\n", " / ")


def report(data: Samples, budgets: Mapping[str, int], alphabet: str, max_parts: int, turns: bool = False) -> list[str]:
    """Per language, each whole conversation's SMS parts under each alphabet setting (and, with `turns`, each
    reply's), then the texts sent on their own."""
    walked, broken = walks(data)
    numbers = set(range(1, 2 + len(ALPHABETS)))
    lines = [
        "",
        "Whole conversations by SMS: each reply as sent (a turn's replies joined in one message), with sample data.",
        f"SMS parts under each alphabet setting; budgets (CONVERSATION_BUDGETS) hold under SMS_ALPHABET={alphabet}.",
    ]
    for lang in data.catalogues.languages:
        mine = [done for done in walked if done.language == lang]
        rows = [["conversation", "messages", *ALPHABETS, "budget", ""]]
        for done in mine:
            budget = budgets.get(done.journey.name)
            over = "over budget" if budget is not None and done.parts(alphabet) > budget else ""
            parts = [str(done.parts(a)) for a in ALPHABETS]
            rows.append(
                [done.journey.name, str(len(done.rounds)), *parts, "-" if budget is None else str(budget), over]
            )
        lines += ["", f"Language: {lang}", *table(rows, numbers | {2 + len(ALPHABETS)}, {})]
        for done in mine if turns else ():
            rows = [["#", "the person sends", *ALPHABETS, "characters", "baro replies"]]
            for index, one in enumerate(done.rounds, start=1):
                parts = [str(one.reply.parts(a)) for a in ALPHABETS]
                rows.append([str(index), one.says.means, *parts, str(len(one.reply.text)), _flat(one.reply.text)])
            right = {0, *range(2, 3 + len(ALPHABETS))}
            lines += ["", f"  {done.journey.title}, in {lang}", *("  " + line for line in table(rows, right, {}))]
    if broken:
        lines += ["", "Conversations whose script no longer walks (not costed):", *broken]
    lines += [
        "",
        f"Texts sent on their own, with sample data (SMS parts; ours may need at most {max_parts} under {alphabet}).",
        "Broadcasts are written by organizers when they send them: the broadcast page counts their parts per language.",
    ]
    found = singles(data)
    for lang in dict.fromkeys(single.language for single in found):
        rows = [["text", "characters", *ALPHABETS, ""]]
        for single in (single for single in found if single.language == lang):
            over = f"over {max_parts} parts" if single.reply.parts(alphabet) > max_parts else ""
            note = "staff's text" + (f", {over}" if over else "") if not single.ours else over
            parts = [str(single.reply.parts(a)) for a in ALPHABETS]
            rows.append([single.name, str(len(single.reply.text)), *parts, note])
        title = "all (in every language at once)" if lang == ALL_LANGUAGES else lang
        lines += ["", f"Language: {title}", *table(rows, numbers, {})]
    return lines
