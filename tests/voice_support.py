"""Recordings made in a test: real sound files, as a recorder or a phone would save them."""

import io

import numpy as np
import soundfile


def recording(fmt: str, seconds: float = 1.0, channels: int = 2, samplerate: int = 16_000) -> bytes:
    """A tone of `seconds` as WAV (float samples), OGG (Vorbis) or MP3: what a phone or a recorder might give."""
    times = np.arange(int(seconds * samplerate)) / samplerate
    tone = 0.3 * np.sin(2 * np.pi * 440 * times)
    out = io.BytesIO()
    subtype = {"WAV": "FLOAT", "OGG": "VORBIS", "MP3": "MPEG_LAYER_III"}[fmt]
    soundfile.write(out, np.column_stack([tone] * channels), samplerate, format=fmt, subtype=subtype)
    return out.getvalue()
