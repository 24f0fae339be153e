"""Annotate a live stream utterance by utterance, with the pipeline's own stages.

Each finished stretch of speech (annotator.live_stream) is transcribed by the pipeline's ASR
engine (`transcribe` for the first speech, which decides the language once; then
`transcribe_region` in that language), cut into utterances by the same rules as a recording,
given a speaker by online clustering of the diarizer's CAM++ embeddings (annotator.live_speakers)
and an emotion by `Annotator.emotions` (voice and words). Each utterance is appended to the live
output as soon as it is final; at the end (or on Ctrl-C) `Annotator.transcript` makes the
complete transcript, as `annotate` writes for a recording.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from annotator.asr.result import AsrResult, LanguageDetection
from annotator.emotion.fusion import summarize
from annotator.live_speakers import OnlineSpeakers
from annotator.live_stream import KEEP_HISTORY, AudioStream, History, Stretch, Stretches
from annotator.log import unique, warn
from annotator.media import SAMPLE_RATE, MediaInfo
from annotator.pipeline import Annotator, speaker_id
from annotator.transcript import Transcript, Utterance
from annotator.utterances import Segment, segments_to_spans

# One warning when the audio waiting to be transcribed passes this many seconds on a source
# that arrives in real time (a file piped as fast as it reads is never "behind").
BEHIND_WARNING = 10.0
MIN_EMBED = 0.5  # seconds: shorter utterances are embedded from this much audio around them

OnUtterance = Callable[[Utterance], None]


@dataclass
class _Audio:
    """What `Annotator.emotions` and `Annotator.transcript` read of the decoded audio."""

    samples: History
    warnings: tuple[str, ...] = ()

    @property
    def duration(self) -> float:
        return len(self.samples) / SAMPLE_RATE


@dataclass
class LiveSession:
    """The state of one stream: its audio, language, speakers and utterances so far."""

    annotator: Annotator
    on_utterance: OnUtterance
    history: History = field(default_factory=History)
    speakers: OnlineSpeakers = field(default_factory=OnlineSpeakers)
    utterances: list[Utterance] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    first: AsrResult | None = None  # the first transcription with words: language, model
    warned_behind: bool = False

    def __post_init__(self) -> None:
        options = self.annotator.options
        self.speakers.max_speakers = options.num_speakers or options.max_speakers

    @property
    def language(self) -> str | None:
        if self.annotator.options.language:
            return self.annotator.options.language
        return self.first.language if self.first is not None else None

    def transcribe(self, clip: np.ndarray) -> list[Segment]:
        """The stretch's segments (times from its start). Until the language is known each
        stretch goes through the engine's whole `transcribe` (language identification, model
        choice); after that through `transcribe_region` in that language."""
        asr = self.annotator.asr
        if self.first is None:
            result = asr.transcribe(clip, self.annotator.options.language)
            if any(s.words for s in result.segments):
                self.first = result
            return list(result.segments)
        return asr.transcribe_region(clip, self.language)

    def process(self, stretch: Stretch) -> list[Utterance]:
        """Transcribe one finished stretch of speech; its utterances, written and returned."""
        offset = stretch.start / SAMPLE_RATE
        found = self.transcribe(self.history[stretch.start : stretch.end])
        segments = [_shifted(s, offset) for s in found]
        self.segments += segments
        spans = segments_to_spans(segments, self.annotator.options.split)
        if not spans:
            return []
        speakers = self._speakers([(s.start, s.end) for s in spans])
        new = [
            Utterance(
                id=len(self.utterances) + i,
                start=round(span.start, 3),
                end=round(span.end, 3),
                text=span.text,
                words=span.words,
                speaker=None if speaker is None else speaker_id(speaker),
            )
            for i, (span, speaker) in enumerate(zip(spans, speakers, strict=True))
        ]
        if self.annotator.tagger is not None:
            self.annotator.emotions(_Audio(self.history), new, [None] * len(new), self.language)
        for utterance in new:
            self.utterances.append(utterance)
            self.on_utterance(utterance)
        self.history.forget_before(stretch.end - int(KEEP_HISTORY * SAMPLE_RATE))
        return new

    def _speakers(self, spans: list[tuple[float, float]]) -> list[int | None]:
        """Each utterance's speaker: CAM++ embedding against the running centroids."""
        options = self.annotator.options
        if options.one_speaker:
            return [0] * len(spans)
        diarizer = self.annotator.diarizer
        if diarizer is None:
            return [None] * len(spans)
        windows = []
        for start, end in spans:
            if end - start < MIN_EMBED:
                middle = (start + end) / 2
                start, end = middle - MIN_EMBED / 2, middle + MIN_EMBED / 2
            windows.append((max(0.0, start), end))
        vectors = diarizer.embedder.embed(self.history, windows)
        return [
            self.speakers.assign(vector, end - start)
            for vector, (start, end) in zip(vectors, spans, strict=True)
        ]

    def check_pace(self, stream: AudioStream, waiting: int) -> None:
        """One warning line, once, when transcription falls behind a real-time source."""
        behind = waiting / SAMPLE_RATE
        if self.warned_behind or behind < BEHIND_WARNING or stream.arrival_rate() > 1.5:
            return
        self.warned_behind = True
        warn(
            "annotator.live",
            f"processing is {behind:.0f} s behind the stream; nothing is dropped, it catches "
            "up in pauses",
        )

    def transcript(self, source: str, warnings: list[str]) -> Transcript:
        """The complete transcript so far, in the structure `annotate` writes. Speakers whose
        running centroids ended up as close as the batch clustering merges are merged here
        (the live output keeps the ids it wrote), and a warning says which."""
        utterances = [replace(u) for u in self.utterances]
        merged = self.speakers.merges()
        if merged:
            names = {speaker_id(a): speaker_id(b) for a, b in merged.items()}
            for u in utterances:
                u.speaker = names.get(u.speaker or "", u.speaker)
            said = ", ".join(f"{a} into {b}" for a, b in names.items())
            warnings = [*warnings, f"live speakers merged in the final transcript: {said}"]
        summary = None
        if self.annotator.tagger is not None and utterances:
            summary = summarize(
                [(u.duration, u.emotion.label if u.emotion else None) for u in utterances]
            )
        audio = _Audio(self.history)
        duration = round(audio.duration, 3)
        info = MediaInfo(Path(source), duration, has_audio=True, has_video=False)
        first = self.first or AsrResult([], self.language)
        language = self.language
        detection = first.detection
        if self.annotator.options.language:
            detection = LanguageDetection(language, "forced")
        asr = replace(first, segments=self.segments, language=language, detection=detection)
        return self.annotator.transcript(
            Path(source),
            info,
            audio,
            asr,
            utterances,
            summary,
            unique(warnings),  # type: ignore[arg-type]
        )


def _shifted(segment: Segment, offset: float) -> Segment:
    return Segment(
        start=round(segment.start + offset, 3),
        end=round(segment.end + offset, 3),
        text=segment.text,
        words=tuple(
            replace(w, start=round(w.start + offset, 3), end=round(w.end + offset, 3))
            for w in segment.words
        ),
    )


@dataclass
class LiveResult:
    transcript: Transcript
    interrupted: bool = False
    problem: str | None = None  # why the stream broke off, one line
    seconds: float = 0.0  # of stream audio
    elapsed: float = 0.0  # wall seconds


def run_live(
    annotator: Annotator,
    source: str,
    on_utterance: OnUtterance,
    follow: bool = False,
    realtime: bool = False,
    on_tick: Callable[[float, float], None] | None = None,
) -> LiveResult:
    """Read `source` until it ends (or Ctrl-C), annotating each stretch of speech as it
    finishes. `on_tick(stream seconds, seconds waiting)` is called between stretches."""
    started = time.monotonic()
    session = LiveSession(annotator, on_utterance)
    stretches = Stretches()
    stream = AudioStream(source, follow, realtime)
    interrupted = False
    try:
        ended = False
        while not ended:
            samples, ended = stream.take(wait=0.2)
            session.history.append(samples)
            for stretch in stretches.finished(session.history, ended):
                session.process(stretch)
            waiting = len(session.history) - stretches.cut
            # Long silences are not kept either (only audio near the stretches is read again).
            session.history.forget_before(stretches.cut - int(KEEP_HISTORY * SAMPLE_RATE))
            session.check_pace(stream, waiting)
            if on_tick is not None:
                on_tick(len(session.history) / SAMPLE_RATE, waiting / SAMPLE_RATE)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        stream.stop()
    problem = None if interrupted else stream.problem()
    if problem is None and not interrupted and stream.received == 0:
        problem = "no audio received (the stream is empty or has no audio track)"
    warnings = [problem] if problem else []
    return LiveResult(
        transcript=session.transcript(source, warnings),
        interrupted=interrupted,
        problem=problem,
        seconds=len(session.history) / SAMPLE_RATE,
        elapsed=time.monotonic() - started,
    )
