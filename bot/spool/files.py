"""The spool on local disk: requests kept while the database is down, encrypted, in the order they came.

Like courier's spool (RapidPro), a directory of files that a flusher replays and deletes; with more
care, because each file holds a person's number and words and because several web processes share it:

- a file is written whole or not at all: a hidden temporary file, fsync, rename into place, fsync of
  the directory, and only then does the provider get its 2xx;
- `<nanoseconds since 1970, 20 digits>-<pid>.req`: sorting the names is the order of arrival (one
  process never gives two files the same stamp);
- the content is encrypted with the Vault (Fernet: a changed file does not decrypt), the directory is
  0700 and the files 0600: private to the service's user;
- one process of the host replays at a time: it holds `.lock` (flock) for its turn, claims a file by
  renaming it to `.req.claimed`, deletes it once replayed; a file claimed by a process that died is
  put back in line by the next turn; a file that cannot be replayed moves to `failed/`, kept for
  staff to look at, out of the line.
"""

import fcntl
import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.vault import Vault

SUFFIX = ".req"
CLAIMED = ".claimed"
LOCK = ".lock"
FAILED = "failed"
# A temporary file this old was left by a write that crashed (its provider never got a 2xx).
STALE_SECONDS = 3600

_stamp_lock = threading.Lock()
_last_stamp = 0


def _stamp() -> int:
    """Nanoseconds since 1970, never twice the same in this process (threads, or a clock set back)."""
    global _last_stamp
    with _stamp_lock:
        _last_stamp = max(time.time_ns(), _last_stamp + 1)
        return _last_stamp


def _fsync_directory(directory: Path) -> None:
    """A rename or a deletion survives a power cut only once its directory is synced."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@dataclass(frozen=True)
class Spool:
    directory: Path
    vault: Vault

    def _private(self, directory: Path) -> Path:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(directory, 0o700)  # also when it existed, or the umask narrowed mkdir's mode
        return directory

    def _names(self, suffix: str) -> list[str]:
        try:
            return sorted(entry.name for entry in os.scandir(self.directory) if entry.name.endswith(suffix))
        except OSError:  # none yet (or not a directory: `writable` says so)
            return []

    def keep(self, record: dict) -> Path:
        """Write `record` durably, encrypted, behind everything already waiting; its path."""
        directory = self._private(self.directory)
        name = f"{_stamp():020d}-{os.getpid()}{SUFFIX}"
        temporary, final = directory / f".{name}.tmp", directory / name
        data = self.vault.encrypt(json.dumps(record, ensure_ascii=False)).encode()
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.rename(temporary, final)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        _fsync_directory(directory)
        return final

    def waiting(self) -> int:
        """Requests not replayed yet, those being replayed included (asked of every request: one directory read)."""
        try:
            return sum(1 for entry in os.scandir(self.directory) if entry.name.endswith((SUFFIX, SUFFIX + CLAIMED)))
        except OSError:  # none yet (or not a directory: `writable` says so)
            return 0

    def failed(self) -> int:
        try:
            return sum(1 for entry in os.scandir(self.directory / FAILED) if entry.name.endswith(SUFFIX))
        except OSError:  # none yet (or not a directory: `writable` says so)
            return 0

    def writable(self) -> bool:
        try:
            return os.access(self._private(self.directory), os.W_OK)
        except OSError:
            return False

    @contextmanager
    def turn(self) -> Iterator[bool]:
        """True while this process holds the host's turn to replay; False at once if another holds it."""
        descriptor = os.open(self._private(self.directory) / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(descriptor, fcntl.LOCK_UN)
        finally:
            os.close(descriptor)

    def recover(self) -> int:
        """In a turn: put back in line what a process that died while replaying had claimed; how many."""
        for name in self._names(SUFFIX + CLAIMED):
            os.rename(self.directory / name, self.directory / name.removesuffix(CLAIMED))
        for entry in os.scandir(self.directory):
            if entry.name.endswith(".tmp") and time.time() - entry.stat().st_mtime > STALE_SECONDS:
                os.unlink(entry.path)
        return len(self._names(SUFFIX))

    def claim(self) -> Path | None:
        """In a turn: the oldest waiting request, renamed so that nothing else takes it; None when there is none."""
        for name in self._names(SUFFIX):
            claimed = self.directory / (name + CLAIMED)
            try:
                os.rename(self.directory / name, claimed)
            except FileNotFoundError:  # taken by a process that did not wait for its turn
                continue
            return claimed
        return None

    def read(self, claimed: Path) -> dict:
        """The record in a claimed file; raises cryptography's InvalidToken if it was changed or SECRET_KEY was."""
        return json.loads(self.vault.decrypt(claimed.read_text("ascii")))

    def done(self, claimed: Path) -> None:
        claimed.unlink()
        _fsync_directory(self.directory)

    def release(self, claimed: Path) -> None:
        """Back in line, at its place (the name keeps the order): the database went away again."""
        os.rename(claimed, claimed.with_name(claimed.name.removesuffix(CLAIMED)))

    def fail(self, claimed: Path) -> Path:
        """Out of the line, kept (encrypted) in failed/ for someone to look at."""
        target = self._private(self.directory / FAILED) / claimed.name.removesuffix(CLAIMED)
        os.rename(claimed, target)
        _fsync_directory(self.directory)
        return target
