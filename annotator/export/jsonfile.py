"""JSON: the whole transcript (annotator.transcript's schema); every other format derives
from it, and `annotate convert` reads it back."""

from __future__ import annotations

import json

from annotator.transcript import Transcript
from annotator.writer import Writer


class JsonWriter(Writer):
    extension = "json"

    def render(self, transcript: Transcript) -> str:
        return json.dumps(transcript.to_dict(), indent=2, ensure_ascii=False) + "\n"
