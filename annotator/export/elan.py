"""ELAN (.eaf): one tier per speaker with the utterances' text, dependent tiers with the fused
emotion and each branch's label, a word tier, and the recording linked beside it.

Written with pympi-ling (MIT), the library ELAN users script with, so the XML follows its
schema (EAF 2.8) without hand-written markup.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

from annotator.export.media_link import media_type
from annotator.export.tiers import EMOTION_TIERS, emotion_values, speaker_tiers, unique
from annotator.transcript import Transcript
from annotator.writer import Writer, atomic_write

MILLISECONDS = 1000  # EAF's time unit: integer milliseconds
UTTERANCE_TYPE = "utterance"
EMOTION_TYPE = "emotion"  # one value per utterance, tied to it (ELAN's Symbolic_Association)
WORD_TYPE = "word"


def render_eaf(transcript: Transcript, output: Path, media: Path | None = None) -> str:
    """The .eaf document for `transcript`, to be saved at `output` (the media link is relative
    to its folder). `media`: the recording (default: the transcript's source path)."""
    from pympi.Elan import Eaf, to_string

    eaf = Eaf(author="annotator")
    eaf.remove_tier("default")
    eaf.remove_linguistic_type("default-lt")
    eaf.header = {"MEDIA_FILE": "", "TIME_UNITS": "milliseconds"}
    eaf.add_linguistic_type(UTTERANCE_TYPE)
    eaf.add_linguistic_type(EMOTION_TYPE, constraints="Symbolic_Association", timealignable=False)
    eaf.add_linguistic_type(WORD_TYPE)
    _link_media(eaf, transcript, Path(output), media)

    used: set[str] = set()
    for speaker in speaker_tiers(transcript, MILLISECONDS):
        for row in speaker.utterances:
            tier = unique(row.name, used)
            eaf.add_tier(tier, ling=UTTERANCE_TYPE, part=speaker.name)
            values = [emotion_values(span.utterance) for span in row.spans]
            children = {}
            for _, suffix in EMOTION_TIERS:
                if any(v[suffix] is not None for v in values):
                    children[suffix] = unique(f"{row.name} {suffix}", used)
                    eaf.add_tier(
                        children[suffix], ling=EMOTION_TYPE, parent=tier, part=speaker.name
                    )
            for span, value in zip(row.spans, values, strict=True):
                eaf.add_annotation(tier, span.start, span.end, span.text)
                parent = next(reversed(eaf.tiers[tier][0]))  # the annotation just added
                for suffix, child in children.items():
                    if value[suffix] is not None:
                        _add_child(eaf, child, parent, value[suffix])
        for row in speaker.words:
            tier = unique(row.name, used)
            eaf.add_tier(tier, ling=WORD_TYPE, part=speaker.name)
            for span in row.spans:
                eaf.add_annotation(tier, span.start, span.end, span.text)
    # ELAN numbers the annotations it creates from after this one (pympi writes the property
    # under another name, which ELAN does not read).
    eaf.properties = [(k, v) for k, v in eaf.properties if k != "lastUsedAnnotation"]
    eaf.add_property("lastUsedAnnotationId", eaf.maxaid)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + to_string(eaf) + "\n"


def _add_child(eaf, tier: str, parent: str, value: str) -> None:  # noqa: ANN001  pympi's Eaf
    """A dependent annotation on `tier` for the annotation `parent`.

    pympi's add_ref_annotation finds the parent by a time inside it, which is ambiguous where
    two annotations share a boundary and takes a scan per call; the parent's id is known here,
    so the reference is stored as add_ref_annotation stores it.
    """
    annotation = eaf.generate_annotation_id()
    eaf.annotations[annotation] = tier
    eaf.tiers[tier][1][annotation] = (parent, value, None, None)


def _link_media(eaf, transcript: Transcript, output: Path, media: Path | None) -> None:  # noqa: ANN001
    """The recording as ELAN links it: an absolute file URL and one relative to the .eaf, which
    ELAN tries when the absolute one is gone (the two were moved together)."""
    media = Path(media if media is not None else transcript.source.path)
    if not str(media):
        return
    absolute = Path(os.path.abspath(media))
    try:
        relative = os.path.relpath(absolute, os.path.abspath(output.parent)).replace(os.sep, "/")
    except ValueError:  # another drive on Windows: no relative path exists
        relative = None
    if relative is not None and not relative.startswith("../"):
        relative = "./" + relative
    mime = media_type(media, transcript.source.video)
    # ELAN's own name for WAV; with another it may not pick an audio player for the file.
    mime = "audio/x-wav" if mime == "audio/wav" else mime
    eaf.add_linked_file(
        absolute.as_uri(),
        relpath=quote(relative) if relative is not None else None,
        mimetype=mime,
    )


class EafWriter(Writer):
    extension = "eaf"

    def __init__(self, emotion_tags: bool = True, media: Path | None = None) -> None:
        super().__init__(emotion_tags)
        self.media = media

    def render(self, transcript: Transcript) -> str:
        # Without an output path the media link is relative to the working directory.
        return render_eaf(transcript, Path.cwd() / "transcript.eaf", self.media)

    def write(self, transcript: Transcript, path: Path) -> None:
        path = Path(path)
        atomic_write(path, render_eaf(transcript, path, self.media))
