"""Process settings the libraries read once, before their first use: speed, memory, and privacy.

Applied in one place, `set_runtime_environment`, before any of those libraries loads: by the
`annotate` command first thing (so the `--jobs` worker processes, which inherit the environment,
and the report get them too), by `Annotator` (library users), and passed to Ray's workers as
their runtime environment (`--ray`). Each is set with `setdefault`, so a user's own value wins.

Privacy: recordings are private, so no dependency may try to reach the network. The settings
below turn off every attempt seen in a traced run (tests/test_network.py records each
connect/sendto of the whole process tree with strace and fails on any non-local address).
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
    # onnxruntime (faster-whisper's Silero VAD) sends usage telemetry to a Microsoft endpoint
    # and creates ~/.cache/Microsoft/DeveloperTools unless this is set before it loads; its
    # disable_telemetry_events() call does not stop the attempt.
    "ORT_DISABLE_TELEMETRY": "1",
    # Ray (--ray) reports usage statistics and, to do so, queries a cloud metadata address.
    "RAY_USAGE_STATS_ENABLED": "0",
    # huggingface_hub (used only when a model name is to be downloaded) sends no telemetry.
    "HF_HUB_DISABLE_TELEMETRY": "1",
    # The cross-tool convention for "no usage statistics" (honoured by several libraries).
    "DO_NOT_TRACK": "1",
}


def set_runtime_environment() -> dict[str, str]:
    """Apply RUNTIME_ENVIRONMENT (without overriding); returns the values in effect."""
    for name, value in RUNTIME_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    return {name: os.environ[name] for name in RUNTIME_ENVIRONMENT}
