"""Process settings the native libraries read once, before their first use.

Each is set with `setdefault`, so a user's own value wins.
"""

from __future__ import annotations

import os

RUNTIME_ENVIRONMENT: dict[str, str] = {
    # The face detector's and the Whisper runtime's OpenMP threads busy-wait by default; on a
    # small, shared CPU that made the faces stage 5x slower (benchmarks/speed.py).
    "OMP_WAIT_POLICY": "PASSIVE",
    # oneDNN (inside CTranslate2) keeps a compiled kernel for every input shape it has seen, up
    # to 1,024: the voice model encodes each utterance at its own length, so memory grew about
    # 1 MB per utterance (an hour: +500 MB). Eight keep the few shapes transcription reuses;
    # measured on 160 clip lengths: +171 MB with the default, +32 MB with 8.
    "ONEDNN_PRIMITIVE_CACHE_CAPACITY": "8",
}


def set_runtime_environment() -> dict[str, str]:
    """Apply RUNTIME_ENVIRONMENT (without overriding); returns the values in effect."""
    for name, value in RUNTIME_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    return {name: os.environ[name] for name in RUNTIME_ENVIRONMENT}
