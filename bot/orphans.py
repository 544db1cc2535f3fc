"""No process of baro outlives the one that started it: a child is told to stop when its parent dies."""

import os
import signal


def die_with_parent(sig: signal.Signals = signal.SIGTERM) -> None:
    """Linux: this process gets `sig` (a clean stop) when its parent dies, even of SIGKILL.

    For processes whose parent is their supervisor by construction (gunicorn's workers, the RQ pool's
    workers, the private Redis of `make run`): left alone they would go on serving a socket or a queue
    that a restarted supervisor then cannot take back. Elsewhere it does nothing.
    """
    parent = os.getppid()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, int(sig))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os.kill(os.getpid(), sig)
