"""A prompt recording brought by staff (the admin page, `baro voice import`): decoded, checked, stored for Twilio.

The file is decoded whole by libsndfile (soundfile's wheels bundle it, with MP3 and Ogg): its name and declared
type are not trusted. MP3 is kept as it is (small, and Twilio plays it); WAV and Ogg become WAV PCM 16-bit mono,
which Twilio plays whatever the recorder's sample format or channels. It replaces the key's earlier recording
atomically: written beside it, then renamed over it, so a call never plays half a file.
"""

import io
import os
import tempfile
from pathlib import Path

from bot.vocabulary import N_

MAX_SECONDS = 60
# A minute of 48 kHz stereo 24-bit WAV is about 17 MB; the staff form carrying it may be this large.
MAX_BYTES = 20 * 1024 * 1024
KEPT = {"MP3": "mp3"}  # what is stored unchanged; every other format accepted becomes WAV
ACCEPTED = {"MP3", "WAV", "WAVEX", "OGG"}

NOT_AUDIO = N_("This file is not an MP3, WAV or OGG recording.")
TOO_LONG = N_("A prompt recording lasts at most %(seconds)s seconds; this one lasts %(length)s.")
TOO_LARGE = N_("A prompt recording is at most %(megabytes)s MB.")
SILENT = N_("This recording holds no sound.")


class Refused(ValueError):
    """A file that cannot be a prompt recording, and why, in words for staff (the `admin` catalogue)."""

    def __init__(self, message: str, **params: object):
        super().__init__(message % params if params else message)
        self.message, self.params = message, params

    def words(self, gettext) -> str:
        return gettext(self.message) % self.params if self.params else gettext(self.message)


def decoded(data: bytes) -> tuple[str, bytes]:
    """(extension, bytes to store) of an uploaded recording; Refused if it is not one."""
    # soundfile and numpy: imported when used, not with the web process: 18 MB every gunicorn worker would
    # carry otherwise (bench/capacity.py).
    import soundfile

    if len(data) > MAX_BYTES:
        raise Refused(TOO_LARGE, megabytes=MAX_BYTES // (1024 * 1024))
    try:  # decoded whole: a file that only starts like a sound (truncated, renamed) fails here
        with soundfile.SoundFile(io.BytesIO(data)) as sound:
            source, samplerate = sound.format, sound.samplerate
            frames = sound.read(dtype="int16", always_2d=True)
    except (RuntimeError, TypeError, ValueError) as error:  # libsndfile's ways of saying "not a sound"
        raise Refused(NOT_AUDIO) from error
    if source not in ACCEPTED:
        raise Refused(NOT_AUDIO)
    if len(frames) > MAX_SECONDS * samplerate:
        raise Refused(TOO_LONG, seconds=MAX_SECONDS, length=round(len(frames) / samplerate))
    if not len(frames):
        raise Refused(SILENT)
    if source in KEPT:
        return KEPT[source], data
    mono = frames.mean(axis=1).astype("int16")
    out = io.BytesIO()
    soundfile.write(out, mono, samplerate, format="WAV", subtype="PCM_16")
    return "wav", out.getvalue()


def store(data: bytes, folder: Path, lang: str, key: str) -> Path:
    """Check and convert `data`, then make it the recording of `key` in `lang`; the file stored."""
    extension, stored = decoded(data)
    directory = folder / lang
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{key}.{extension}"
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{key}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(stored)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    for other in ("mp3", "wav", "ogg"):  # an earlier recording in another format would be played first
        if other != extension:
            (directory / f"{key}.{other}").unlink(missing_ok=True)
    return target
