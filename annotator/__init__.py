"""annotator: turn a recorded meeting into an emotion-tagged transcript, offline.

    from annotator import Annotator, Options
    annotator = Annotator(Options(whisper_model="tiny.en"))   # loads the models once
    transcript = annotator.annotate("meeting.mp4").transcript
    transcript.to_dict()                                      # the JSON the CLI writes

The names are imported on first use, so `import annotator` (and `annotate --help`) stays fast.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["Annotator", "Options", "Result", "Transcript", "Utterance"]

_HOMES = {
    "Annotator": "annotator.pipeline",
    "Result": "annotator.pipeline",
    "Options": "annotator.options",
    "Transcript": "annotator.transcript",
    "Utterance": "annotator.transcript",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        import importlib

        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'annotator' has no attribute {name!r}")
