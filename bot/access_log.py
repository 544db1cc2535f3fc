"""The web servers' access log, without secrets: no `token=` value of a URL is ever written.

The USSD aggregator calls /webhooks/ussd?token=USSD_TOKEN (its protocol has no signing), and uvicorn
and gunicorn write every request's URL to their access log: whoever reads the logs could then post as
the aggregator. `install()` puts `RedactSecrets` on the access loggers, uvicorn's (`uvicorn.access`,
which gunicorn's uvicorn workers also write to) and gunicorn's (`gunicorn.access`). A filter on a logger
sees every record made on it, whatever handlers and formatters a logging configuration gives it later,
and logging configurations keep it; the app factory installs it, so it is there wherever the app runs.
A configuration may also name the class itself: `{"filters": {"redact": {"()": "bot.access_log.RedactSecrets"}}}`.
"""

import logging
import re
from collections.abc import Mapping, MutableMapping
from urllib.parse import unquote_plus

ACCESS_LOGGERS = ("uvicorn.access", "gunicorn.access")
# Query parameters whose value is a secret, by name (however it is percent-encoded or cased).
SECRET_PARAMETERS = frozenset({"token"})
REDACTED = "[redacted]"

# One query parameter: where it starts (a URL's `?`, a `&`, or the start of a bare query string), its name,
# its value (up to the next parameter, or the space before `HTTP/1.1` in a request line).
_PARAMETER = re.compile(r"(^|[?&;])([^=&;?#\s\"]+)=([^&#\s\"]*)")


def redact(text: str) -> str:
    """`text` with the value of every secret query parameter replaced by REDACTED."""

    def hide(match: re.Match) -> str:
        if unquote_plus(match.group(2)).strip().lower() not in SECRET_PARAMETERS:
            return match.group(0)
        return f"{match.group(1)}{match.group(2)}={REDACTED}"

    return _PARAMETER.sub(hide, text)


def _redacted(value: object) -> object:
    return redact(value) if isinstance(value, str) else value


class RedactSecrets(logging.Filter):
    """Redacts the message and its arguments: uvicorn passes the path as an argument, gunicorn a dict of atoms
    (its request line, path, query string, headers), each kept in its type for their formatters."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _redacted(record.msg)
        if isinstance(record.args, MutableMapping):
            for key, value in list(record.args.items()):
                record.args[key] = _redacted(value)
        elif isinstance(record.args, Mapping):
            record.args = {key: _redacted(value) for key, value in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(_redacted(value) for value in record.args)
        return True


def install() -> None:
    """Put the filter on every access logger, once."""
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, RedactSecrets) for existing in logger.filters):
            logger.addFilter(RedactSecrets())
