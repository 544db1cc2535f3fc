"""The spool's files (bot/spool/files.py): whole or absent, in arrival order, encrypted, private, taken once."""

import os
import secrets
import stat
import threading
import time

import pytest
from cryptography.fernet import InvalidToken

from bot.i18n import Catalogues
from bot.outbound.gsm7 import cost
from bot.spool.files import Spool
from bot.spool.languages import received
from bot.vault import Vault

RECORD = {"adapter": "twilio", "form": {"From": "+22370000031", "Body": "Le forage est en panne"}}


@pytest.fixture
def spool(tmp_path) -> Spool:
    return Spool(tmp_path / "var" / "spool", Vault(secrets.token_urlsafe(32)))


def names(spool: Spool) -> list[str]:
    return sorted(entry.name for entry in spool.directory.iterdir() if entry.is_file())


def test_the_directory_and_files_are_private_to_the_service_user_whatever_the_umask(spool):
    spool.directory.mkdir(parents=True, mode=0o755)  # made earlier, by hand or by an older version
    os.chmod(spool.directory, 0o755)
    previous = os.umask(0o000)
    try:
        path = spool.keep(RECORD)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(spool.directory.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_file_holds_neither_the_number_nor_the_text_in_clear_and_only_this_key_reads_it(spool):
    path = spool.keep(RECORD)
    content = path.read_bytes()
    assert b"70000031" not in content and b"forage" not in content
    assert spool.read(path) == RECORD
    with pytest.raises(InvalidToken):
        Spool(spool.directory, Vault(secrets.token_urlsafe(32))).read(path)


def test_a_write_is_synced_then_renamed_into_place(spool, monkeypatch):
    synced, renamed = [], []
    real_fsync, real_rename = os.fsync, os.rename
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(os.readlink(f"/proc/self/fd/{fd}")) or real_fsync(fd))
    monkeypatch.setattr(os, "rename", lambda a, b: renamed.append((str(a), str(b))) or real_rename(a, b))
    path = spool.keep(RECORD)
    ((source, target),) = renamed
    assert os.path.basename(source).startswith(".") and target == str(path)
    assert synced == [source, str(spool.directory)]  # the file before its rename, the directory after


def test_a_write_that_fails_leaves_nothing_behind(spool, monkeypatch):
    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError):
        spool.keep(RECORD)
    assert names(spool) == [] and spool.waiting() == 0


def test_a_half_written_file_is_never_taken_and_is_cleared_once_stale(spool):
    spool.keep(RECORD)
    crashed = spool.directory / ".00000000000000000001-1.req.tmp"
    crashed.write_bytes(b"half of a record")
    assert spool.waiting() == 1
    with spool.turn():
        first = spool.claim()
        assert first is not None and spool.claim() is None
        spool.release(first)
        old = time.time() - 2 * 3600
        os.utime(crashed, (old, old))
        spool.recover()
    assert not crashed.exists() and spool.waiting() == 1


def test_names_sort_in_the_order_of_arrival_even_from_many_threads(spool):
    kept: list[str] = []
    lock = threading.Lock()

    def write(count: int) -> None:
        for _ in range(count):
            with lock:  # the order of arrival is the order the spool is asked to keep
                kept.append(spool.keep(RECORD).name)

    threads = [threading.Thread(target=write, args=(50,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(kept)) == 200
    assert sorted(kept) == kept


def test_one_turn_at_a_time_and_what_a_dead_replayer_claimed_goes_back_first(spool):
    first, *_ = (spool.keep({"n": n}) for n in range(3))
    with spool.turn() as ours:
        assert ours
        with spool.turn() as theirs:
            assert not theirs
        claimed = spool.claim()
        assert claimed.name == first.name + ".claimed"
        # The process dies here: its claim stays, and its lock goes with it.
    with spool.turn() as ours:
        assert ours and spool.recover() == 3
        assert spool.read(spool.claim()) == {"n": 0}


def test_each_file_is_claimed_once_even_without_turns(spool):
    for n in range(100):
        spool.keep({"n": n})
    taken: list[int] = []
    other = Spool(spool.directory, spool.vault)

    def drain(replayer: Spool) -> None:
        while (claimed := replayer.claim()) is not None:
            taken.append(replayer.read(claimed)["n"])
            replayer.done(claimed)

    threads = [threading.Thread(target=drain, args=(s,)) for s in (spool, other, spool, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(taken) == list(range(100))
    assert spool.waiting() == 0


def test_a_file_that_cannot_be_replayed_leaves_the_line_and_is_kept(spool):
    path = spool.keep(RECORD)
    with spool.turn():
        failed = spool.fail(spool.claim())
    assert spool.waiting() == 0 and spool.failed() == 1
    assert failed.name == path.name and stat.S_IMODE(failed.parent.stat().st_mode) == 0o700
    assert spool.read(failed) == RECORD


@pytest.mark.parametrize("alphabet", ["unicode", "gsm"])
def test_the_notice_in_every_language_fits_a_ussd_screen_and_two_sms_parts(settings, alphabet):
    """One SMS part in a known language; in every language, two at most (UCS-2), one screen on USSD."""
    catalogues = Catalogues.load(settings.locales_dir, settings.languages)
    for language in (*catalogues.languages, None):
        notice = received(catalogues, language, alphabet)
        assert len(notice) <= 182 and cost(notice).parts <= (1 if language else 2), (language, notice)
