"""Texts the engine itself adds to prompts, marked for extraction with `N_(context, msgid)`."""

from bot.engine.flow import Text


def N_(context: str, msgid: str) -> Text:
    """Mark a text for `pybabel extract -k N_:1c,2`; it is translated when rendered."""
    return Text(context, msgid)


INVALID_CHOICE_HINT = N_("hint", "Please answer with one of the numbers.")
EMPTY_TEXT_HINT = N_("hint", "Please write your message in words.")
# Translators: the name of YOUR language, written in it (e.g. Français), for the language menu.
# Translators: the answer to a voice note or photo sent where a number or words are awaited; the question follows.
MEDIA_HINT = N_("hint", "We can take a voice note or a photo when we ask you to describe the problem.")
# Translators: the answer to a file of a kind baro does not keep (a video, a document); the question follows.
MEDIA_REFUSED = N_("hint", "We cannot keep this kind of file. Send a voice note or a photo.")
LANGUAGE_NAME = N_("language-name", "English")
# Translators: words that return to the main menu from anywhere; list several, comma-separated.
MENU_KEYWORDS = N_("keyword", "MENU")
# Translators: words that stop all messages (opt-out), comma-separated.
STOP_KEYWORDS = N_("keyword", "STOP")
# Translators: words that resume messages after an opt-out, comma-separated.
START_KEYWORDS = N_("keyword", "START")
OPTED_OUT = N_("opt-out", "You will receive no more messages from baro. To come back, send START.")
OPTED_IN = N_("opt-out", "Welcome back to baro.")
# Translators: words that may mean stop but also something else, so alone they do not stop messages: they get
# SEND_STOP, and the question stays open (French FIN is also "faim" misspelt; Bambara JƆ alone also means
# "stand"). Comma-separated; never a word of the stop list above.
MAYBE_STOP_KEYWORDS = N_("keyword", "END")
# Translators: the answer to one of those words; STOP is the stop word the other texts name too.
SEND_STOP = N_("opt-out", "To stop all messages from baro, send STOP.")
# Translators: words that give up the assembly place the person was last told of (a sign-up confirmation,
# a reminder), comma-separated. The assembly texts name the first one: keep them in step.
CANCEL_KEYWORDS = N_("keyword", "CANCEL")
# Translators: words that ask for help, comma-separated.
HELP_KEYWORDS = N_("keyword", "HELP")
HELP = N_(
    "help",
    "baro passes your messages to the teams at your site. Send MENU for the menu, STOP to stop messages.",
)
# Translators: the words of greetings and politeness people write around a message ("Bonjour madame, ça va"),
# comma-separated, one word each. They do not count as words of a problem typed at the main menu: a greeting
# alone gets the menu, not the question "what is it about?".
GREETING_WORDS = N_("keyword", "HELLO, HI, GOOD, MORNING, EVENING, HOW, ARE, YOU, THANKS, THANK, OK")
# Translators: the last line of a conversation's last message (a confirmation, a status) by SMS and WhatsApp:
# sending 0 then brings the main menu back. Keep it as short as the options' "0 Menu".
WAY_BACK = N_("way-back", "0 Menu")
