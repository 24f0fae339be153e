"""The work for one recording of a batch: annotate it, write the output, report what the summary
table shows.

Every runner (annotator.runners: this process, worker processes, Ray actors) runs this same code
with the same settings, so they write the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from annotator.batch import Done, Job, SpeakerSummary
from annotator.options import Options
from annotator.pipeline import Annotator, ProgressCallback
from annotator.transcript import Transcript

# How a worker gets its pipeline. A program that already holds a loaded Annotator for the same
# options (a test session, a notebook) may point this at it rather than load the models again.
load_annotator: Callable[[Options], Annotator] = Annotator


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
        self.annotator = load_annotator(settings.options)
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
    """What a summary shows of a finished recording: its size, emotions and speakers."""
    speakers = tuple(
        SpeakerSummary(
            speaker.name or speaker.id,
            speaker.utterances,
            speaker.speaking_time,
            dict(speaker.emotions),
        )
        for speaker in transcript.speakers
    )
    share = dict((transcript.summary or {}).get("emotion_share") or {})
    return Done(len(transcript.utterances), share, speakers)
