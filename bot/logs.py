"""The logs of every baro process: text or one JSON object per line (LOG_FORMAT), never a phone number or a secret.

`configure()` runs first in every `baro` command (bot.cli); `baro web` also hands `config()` to gunicorn, which
applies it again in its arbiter and gives its handlers to uvicorn's loggers in each worker (bot.webserver).
RQ adds handlers of its own only where none exist, so its worker pool, workers and scheduler write through
these too. Everything goes to stderr: stdout is a command's answer (`baro users token` prints a token there).

What is logged is written not to carry a phone number, a person's words or a secret (log ids, references and
types, not forms, texts or exceptions that quote them). `Redact`, on every handler, is the safety net behind
that: digit runs that could be a phone number, the secrets of the settings and `token=` values are masked
in the message, the exception and the stack, whatever logged them. A person's words cannot be told from
other text: they are kept out at the source (hidden SQL parameters, provider forms' inputs kept out of
their validation errors).
"""

import logging
import logging.config
import re
import sys
import threading
from urllib.parse import quote, unquote, urlsplit

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

from bot.access_log import REDACTED
from bot.access_log import redact as redact_parameters
from bot.config import Settings

TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# A JSON line's fields, in this order: the record's own, then the extra fields RQ gives a failed job's record.
# Any other extra is left out (uvicorn's `color_message`, RQ's job `arguments`).
JSON_FIELDS = ("time", "level", "logger", "message", "exception", "stack", "process", "job_id", "queue", "func")
# Libraries whose INFO is one line per HTTP request or SQL statement, quoting URLs, query parameters and
# result rows, and Alembic's list of its plugins at every start: written from WARNING only, whatever LOG_LEVEL.
QUIET = ("httpx", "httpcore", "urllib3", "twilio", "sqlalchemy", "alembic.runtime.plugins")
# gunicorn's loggers do not propagate, and its uvicorn workers give their handlers to uvicorn's.
GUNICORN = ("gunicorn.error", "gunicorn.access")

# A phone number: `+` and 8 or more digits, maybe spaced (`+223 70 00 00 01`), or a bare run of 8 or more
# digits (E.164 without its `+`, `%2B` as a form encodes it). Not inside a word, hex id or decimal number.
PHONE = re.compile(r"(?<![\w.])(?:\+\d(?: ?\d){7,}|(?:%2[Bb])?\d{8,})(?!\w)")
# Settings holding a secret, by name: TWILIO_AUTH_TOKEN, SECRET_KEY (from which the vault's keys are derived),
# USSD_TOKEN, GATEWAY_TOKEN, GATEWAY_SECRET, and any such setting added later.
SECRET_SETTING = re.compile(r"(token|secret|key|password)$")
# A shorter value would mask ordinary words everywhere; no real secret is that short.
SHORTEST_SECRET = 6
_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def secrets_of(settings: Settings) -> set[str]:
    """The settings' secret values and the database's and Redis's passwords, also as a URL percent-encodes them."""
    values: set[str] = set()
    for name, value in settings:
        if isinstance(value, str) and SECRET_SETTING.search(name):
            values.update([value, *value.split(",")])  # USSD_TOKEN is `new,old` while it is changed
    for url in (settings.database_url, settings.redis_url):
        password = urlsplit(url).password or ""
        values.update([password, unquote(password)])
    values = {value.strip() for value in values}
    return {form for value in values if len(value) >= SHORTEST_SECRET for form in (value, quote(value, safe=""))}


class Redact(logging.Filter):
    """Masks phone numbers, secrets and `token=` values in a record's message, exception, stack and extra fields."""

    def __init__(self, secrets: set[str]):
        super().__init__()
        # Longest first: a secret that contains another is masked whole.
        ordered = sorted(secrets, key=len, reverse=True)
        self._secrets = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def redact(self, text: str) -> str:
        if self._secrets is not None:
            text = self._secrets.sub(REDACTED, text)
        return PHONE.sub(REDACTED, redact_parameters(text))

    def filter(self, record: logging.LogRecord) -> bool:
        # A changed message replaces the record's format and arguments, a changed exception its `exc_info` (the
        # masked text kept in `exc_text`): every formatter, text or JSON, then writes the masked text as it is.
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: the handler reports it when it formats the record
            return True
        if (hidden := self.redact(message)) != message:
            record.msg, record.args = hidden, None
        if record.exc_info:
            text = record.exc_text or logging.Formatter().formatException(record.exc_info)
            if (hidden := self.redact(text)) != text:
                record.exc_info, record.exc_text = None, hidden
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        for name, value in list(vars(record).items()):
            if name not in _STANDARD and isinstance(value, str):
                setattr(record, name, self.redact(value))
        return True


# python-json-logger: a maintained formatter for the standard `logging`, which gunicorn, uvicorn and RQ write
# through, rather than one written here.
class JsonFormatter(_JsonFormatter):
    """One JSON object per line: time (ISO 8601, UTC), level, logger, message, exception, process, RQ's fields."""

    def __init__(self):
        super().__init__(
            ["levelname", "name", "message", "process"],
            rename_fields={"levelname": "level", "name": "logger", "exc_info": "exception", "stack_info": "stack"},
            timestamp="time",
        )

    def process_log_record(self, log_data: dict) -> dict:
        return {field: log_data[field] for field in JSON_FIELDS if field in log_data}


def config(settings: Settings) -> dict:
    """The `logging.config.dictConfig` of a baro process (gunicorn's `logconfig_dict` too)."""
    level = logging.getLevelName(settings.log_level)
    formatter = {"()": JsonFormatter} if settings.log_format == "json" else {"format": TEXT}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        # The secrets are found when the filter is made, not written into this configuration, which gunicorn
        # prints at DEBUG.
        "filters": {"redact": {"()": lambda: Redact(secrets_of(settings))}},
        "formatters": {"baro": formatter},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "baro",
                "filters": ["redact"],
            }
        },
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            **{name: {"level": level, "handlers": ["stderr"], "propagate": False} for name in GUNICORN},
            **{name: {"level": max(level, logging.WARNING)} for name in QUIET},
        },
    }


def configure(settings: Settings) -> None:
    """Configure this process's logging, unless it is already (as `logging.basicConfig` does: a test runner's)."""
    if logging.getLogger().handlers:
        return
    # Python's warnings and uncaught exceptions (the process's and its threads') are logged too: masked, and
    # with LOG_FORMAT=json still one JSON object per line.
    logging.config.dictConfig(config(settings))
    logging.captureWarnings(True)
    sys.excepthook = _uncaught
    threading.excepthook = lambda hook: _uncaught(hook.exc_type, hook.exc_value, hook.exc_traceback)


def _uncaught(kind, error, traceback) -> None:
    logging.getLogger("baro").critical("uncaught %s", kind.__name__, exc_info=(kind, error, traceback))
