"""The RQ workers `baro worker` runs: RQ's worker pool (`rq worker-pool`) over baro's queues.

The pool starts a worker again within a second when one dies, while the others go on; it stops its workers
on SIGTERM (warm: a job in progress finishes), and kills any still running STOP_SECONDS later.

Workers run each job in their own process, without forking a work-horse for it: a fork costs about 140 ms,
more than a reply's whole send, and a bulk drain's slice (bot.outbound.drain) must follow the previous one
within milliseconds to keep its channel's pace. Every job is short and idempotent, and a worker that dies
mid-job is started again by the pool, its job's work found again by the sweep, as with a work-horse.
"""

import signal
import time
from multiprocessing.util import register_after_fork

from redis import Redis
from rq import SimpleWorker
from rq.worker_pool import WorkerPool

from bot.handover import QUEUES
from bot.orphans import die_with_parent


class PoolWorker(SimpleWorker):
    """A worker of the pool, stopped (warm) if the pool's process dies: never left serving the queues alone,
    beside the workers of the pool its supervisor starts again."""

    # RQ waits twice longer after each failed reconnection, up to a minute: after a long Redis outage
    # the queues would wait up to a minute more once it is back. Five seconds at most.
    max_connection_wait_time = 5.0

    def __init__(self, *args, **kwargs):
        die_with_parent()  # constructed in the forked worker process, whose parent is the pool
        super().__init__(*args, **kwargs)

    def _start_scheduler(self, *args, **kwargs) -> None:
        # RQ's scheduler runs in a process the worker forks through multiprocessing, which runs these hooks
        # in the child: it stops with the worker instead of scheduling on alone.
        register_after_fork(self, lambda _worker: die_with_parent())
        super()._start_scheduler(*args, **kwargs)


# How long the workers have to stop after SIGTERM. Jobs take well under a second (a send, an intake); a worker
# still running after this missed its stop: once, in a CI run, one went on retrying a dead Redis, and the pool
# waited for it until killed. The work of a job cut short is found again by the sweep (bot.handover).
STOP_SECONDS = 5


class Pool(WorkerPool):
    """RQ's worker pool, whose workers are killed if they have not stopped STOP_SECONDS after the stop."""

    _killed_after: float | None = None

    def request_stop(self, signum=None, frame=None) -> None:
        self._killed_after = self._killed_after or time.monotonic() + STOP_SECONDS
        super().request_stop(signum, frame)

    def all_workers_have_stopped(self) -> bool:
        stopped = super().all_workers_have_stopped()
        if not stopped and self._killed_after is not None and time.monotonic() >= self._killed_after:
            self.log.warning("workers still running %s s after the stop: killed", STOP_SECONDS)
            for worker in list(self.worker_dict.values()):
                self.stop_worker(worker, signal.SIGKILL)
        return stopped


def run(redis: Redis, processes: int, burst: bool = False, logging_level: str = "INFO") -> None:
    # Queues are drained in their order: intake, then replies to people, then bulk sends. Each worker also
    # runs RQ's scheduler (retries of transient send failures after their backoff). RQ sets its loggers' level
    # (LOG_LEVEL), and writes through the handlers of bot.logs.
    pool = Pool(QUEUES, connection=redis, num_workers=processes, worker_class=PoolWorker)
    pool.start(burst=burst, logging_level=logging_level)
