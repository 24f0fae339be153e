"""The work for one recording of a batch: annotate it, write the output, report what the summary
table shows.

A local run and every Ray actor (annotator.cluster) run this same code with the same settings,
so they write the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from annotator.batch import Done, Job, SpeakerLine
from annotator.options import Options
from annotator.pipeline import Annotator, ProgressCallback
from annotator.transcript import Transcript


@dataclass(frozen=True)
class WorkerSettings:
    """Everything a worker needs besides the job; plain data, so it travels to other machines."""

    options: Options
    fmt: str  # the output format: one of annotator.export.FORMATS
    emotion_tags: bool = True
    embed_media: bool = False


class Worker:
    """Loads the models once (ModelLoadError, ValueError) and the writer; `process` does one job."""

    def __init__(self, settings: WorkerSettings) -> None:
        from annotator.export import writer_for

        self.settings = settings
        self.annotator = Annotator(settings.options)
        self.writer = writer_for(
            settings.fmt, emotion_tags=settings.emotion_tags, embed_media=settings.embed_media
        )

    def process(self, job: Job, progress: ProgressCallback | None = None) -> Done:
        """Annotate `job.input` and write `job.output` (atomically). The caller holds the
        output's lock (batch.run_job)."""
        result = self.annotator.annotate(job.input, progress=progress)
        self.writer.write(result.transcript, job.output)
        return replace(done_of(result.transcript), warnings=tuple(result.warnings))


def done_of(transcript: Transcript) -> Done:
    """The summary table's line for a finished recording, and one per speaker."""
    speakers = tuple(
        SpeakerLine(
            speaker.name or speaker.id,
            speaker.utterances,
            speaker.speaking_time,
            emotion_shares({"emotion_share": speaker.emotions}),
        )
        for speaker in transcript.speakers
    )
    return Done(len(transcript.utterances), emotion_shares(transcript.summary), speakers)


def emotion_shares(summary: dict | None, top: int = 3) -> str:
    """'neutral 55%, happy 30%, sad 15%' from a transcript summary."""
    if not summary or not summary.get("emotion_share"):
        return ""
    shares = sorted(summary["emotion_share"].items(), key=lambda item: -item[1])
    return ", ".join(f"{label} {share:.0%}" for label, share in shares[:top] if share > 0)
