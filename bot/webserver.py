"""The web service as it runs everywhere (`baro web`): gunicorn's arbiter over uvicorn workers.

gunicorn holds the listening socket and starts a worker again when one dies, while the others serve;
between the two, connections wait in the socket's backlog instead of being refused (Twilio does not retry
a refused inbound SMS). On SIGTERM it stops the workers within GRACEFUL_SECONDS, killing any left.
"""

from collections.abc import Callable
from typing import Any, ClassVar

from gunicorn.app.base import BaseApplication
from uvicorn_worker import UvicornWorker

from bot import logs, metrics
from bot.config import Settings
from bot.orphans import die_with_parent

# Time for requests in flight when asked to stop: a webhook's work takes well under a second, and Twilio
# waits 15 s for an answer.
GRACEFUL_SECONDS = 10


class Worker(UvicornWorker):
    """uvicorn under gunicorn, from the `uvicorn-worker` package: uvicorn's own `uvicorn.workers` is deprecated
    (its import warns, as of uvicorn 0.54) in favour of this one, the same class maintained on its own."""

    # uvicorn's own bound on the requests in flight at shutdown, not only gunicorn's SIGKILL after it.
    CONFIG_KWARGS: ClassVar[dict[str, Any]] = {
        **UvicornWorker.CONFIG_KWARGS,
        "timeout_graceful_shutdown": GRACEFUL_SECONDS,
    }

    def init_process(self) -> None:
        # A worker whose master was killed would go on holding the port, and the master started again in
        # its place could not bind it.
        die_with_parent()
        super().init_process()


WORKER_CLASS = f"{__name__}.Worker"


class WebServer(BaseApplication):
    """gunicorn configured from baro's settings rather than from gunicorn's command line."""

    def __init__(self, options: dict[str, Any], create_app: Callable[[], Any]):
        self.options = options
        self.create_app = create_app
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        # In each worker, after the fork: every worker has its own connections (bot.runtime).
        return self.create_app()


def options(settings: Settings, workers: int) -> dict[str, Any]:
    return {
        "bind": f"[{settings.host}]:{settings.port}" if ":" in settings.host else f"{settings.host}:{settings.port}",
        "workers": workers,
        "worker_class": WORKER_CLASS,
        "graceful_timeout": GRACEFUL_SECONDS,
        "accesslog": "-",
        # gunicorn sets up its loggers again in its arbiter: baro's handlers, format and masking (bot/logs.py).
        "logconfig_dict": logs.config(settings),
        # gunicorn 27's control socket has one path per user ($HOME/.gunicorn): two servers would share it.
        "control_socket_disable": True,
        "child_exit": metrics.child_exit,  # a dead worker's requests in flight are no longer counted
    }


def serve(settings: Settings, workers: int, create_app: Callable[[], Any]) -> None:
    """Serve `create_app()` (bot.app's, passed in: only the HTTP layer and the CLI import it) until SIGTERM or
    SIGINT; a worker that fails to start (broken flows, missing secrets) ends it."""
    WebServer(options(settings, workers), create_app).run()
