"""Wire the stages for one recording: probe, decode, transcribe, cut clips, find faces, write.

The models are loaded once by `Annotator` and reused for every file of a run. Each stage gets
what an earlier stage already produced (the audio is decoded once, the video streamed once).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from annotator import media
from annotator.asr import ModelLoadError, load_engine
from annotator.asr.language import detection_of
from annotator.asr.result import AsrResult
from annotator.emotion.fusion import summarize
from annotator.face_speakers import attach_speaker_faces, mark_face_tracks
from annotator.faces import FaceDetector, scan_faces
from annotator.options import Options, ctranslate2_cuda, resolve_device, torch_cuda
from annotator.runtime import set_runtime_environment
from annotator.transcript import FaceFrames, Source, Speaker, Transcript, Utterance
from annotator.utterances import (
    Span,
    finish_spans,
    region_span,
    segments_to_spans,
    unworded_regions,
    word_speakers,
)


class NoSpeechError(media.MediaError):
    """The recording decoded fine but contains no speech to transcribe."""


@dataclass
class Result:
    transcript: Transcript
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    warnings: list[str] = field(default_factory=list)  # one line each, for the user now


ProgressCallback = Callable[[str], None]
StageTimer = Callable[[str], AbstractContextManager[None]]  # `with stage("name"):` times a stage


class Annotator:
    """Holds the loaded models; `annotate(path)` runs the whole pipeline on one recording.

    Everything that can fail before a file is read fails here: settings that do not go
    together (ValueError) and models that cannot load (ModelLoadError).
    """

    def __init__(self, options: Options | None = None) -> None:
        options = options or Options()
        options.check()
        # For library users too (the CLI sets them earlier): before any model loads.
        set_runtime_environment()
        # "auto" becomes the device used, which the transcript records.
        options = replace(options, device=resolve_device(options.device))
        self.options = options
        limit_threads(options.threads)
        # Each library on the GPU when it can use it (a CPU-only torch beside a CUDA build of
        # CTranslate2, or the reverse, still runs, that part on the CPU).
        on_gpu = options.device == "cuda"
        self.asr_device = "cuda" if on_gpu and ctranslate2_cuda() else "cpu"
        self.torch_device = "cuda" if on_gpu and torch_cuda() else "cpu"
        self.asr = load_engine(
            options.engine, options.whisper_model, options.threads, self.asr_device
        )
        if options.language not in (None, "en") and not self.asr.is_multilingual:
            raise ModelLoadError(
                f"{self.asr.name} is English-only; --language {options.language} needs a "
                "multilingual model: --whisper-model auto (the default) or base"
            )
        self.detector = FaceDetector(detect_width=options.detect_width)
        self.diarizer = None
        if options.diarize and not options.one_speaker:
            from annotator.diarization import Diarizer

            self.diarizer = Diarizer.load(threads=options.threads, device=self.torch_device)
        self.tagger = None
        if options.emotion:
            from annotator.emotion.tagger import EmotionTagger

            self.tagger = EmotionTagger(
                encoder=self._speech_encoder(),
                speech_weights=options.speech_weights,
                face_weights=options.face_weights,
                fusion_weights=options.fusion_weights,
                # A learned head reads voice and face only: the words would be loaded for nothing.
                text=options.text_emotion and options.fusion != "learned",
                prior=options.prior,
                device=self.torch_device,
            )

    def _speech_encoder(self):
        """The speech-emotion model reads the bundled tiny.en encoder's states: share
        transcription's model when it is that one, else load that encoder beside it."""
        from annotator.asr.auto import AutoEngine
        from annotator.asr.faster import FasterWhisperEngine
        from annotator.emotion.encoder import WhisperEncoder, bundled_encoder

        asr = self.asr.english if isinstance(self.asr, AutoEngine) else self.asr
        if isinstance(asr, FasterWhisperEngine) and asr.ref.is_bundled:
            return WhisperEncoder.from_whisper_model(asr.model, name="tiny.en")
        return bundled_encoder(self.options.threads, self.asr_device)

    @property
    def models(self) -> dict[str, str]:
        models = {"asr": self.asr.name, "face_detector": "yuface (libfacedetection YuNet)"}
        if self.diarizer is not None:
            models["diarization"] = self.diarizer.name
        if self.tagger is not None:
            models.update(self.tagger.models)
        return models

    def annotate(self, path: Path, progress: ProgressCallback | None = None) -> Result:
        options = self.options
        timings: dict[str, float] = {}

        @contextmanager
        def stage(name: str) -> Iterator[None]:  # a StageTimer
            if progress:
                progress(name)
            started = time.perf_counter()
            yield
            timings[name] = timings.get(name, 0.0) + time.perf_counter() - started

        with stage("decode"):
            info = media.probe(path)
            audio = media.decode_audio(info)
        with stage("transcribe"):
            asr = self.asr.transcribe(audio.samples, options.language)
        spans, overlaps = self._spans(audio, asr, stage)
        if not spans:
            raise NoSpeechError("no speech found (silent or too short)")
        utterances = [
            Utterance(
                id=i,
                start=round(span.start, 3),
                end=round(span.end, 3),
                text=span.text,
                words=span.words,
                speaker=None if span.speaker is None else speaker_id(span.speaker),
                overlap=overlap,
            )
            for i, (span, overlap) in enumerate(zip(spans, overlaps, strict=True))
        ]
        with stage("faces"):
            scan = scan_faces(
                info,
                [(u.start, u.end) for u in utterances],
                self.detector,
                options.face_fps,
                options.frame_width,
                keep_crops=options.save_clips is not None,
                audio=audio.samples,  # the speaker's face is the one moving with the sound
                speakers=[u.speaker for u in utterances],  # whose evidence adds up
            )
            faces = scan.utterances
        for utterance, found in zip(utterances, faces, strict=True):
            if found is not None:
                utterance.face_frames = FaceFrames(sampled=found.sampled, with_face=found.with_face)
        clips = Clips(audio.samples, [self.clip_span(u) for u in utterances])
        summary = None
        if self.tagger is not None:
            with stage("emotion"):
                speakers = [u.speaker for u in utterances] if utterances[0].speaker else None
                # The text model learnt English; in another language its branch is absent.
                english = (asr.language or "").startswith("en")  # None: not identified
                texts = [u.text for u in utterances] if english else None
                tagged = self.tagger.tag(clips, faces, speakers, texts)
                for utterance, result in zip(utterances, tagged, strict=True):
                    utterance.emotion, utterance.sentiment = result.emotion, result.sentiment
                mark_face_tracks(utterances, faces)
                summary = summarize(
                    [(u.duration, u.emotion.label if u.emotion else None) for u in utterances]
                )
        if options.save_clips is not None:
            with stage("save-clips"):
                from annotator.clips import save_clips

                save_clips(options.save_clips / Path(path).stem, utterances, clips, faces)
        transcript = Transcript(
            source=Source(
                path=str(path),
                duration=round(info.duration or audio.duration, 3),
                audio=info.has_audio,
                video=info.has_video,
                width=info.width,
                height=info.height,
                fps=info.fps,
                warnings=list(audio.warnings) + list(asr.warnings),
            ),
            models={**self.models, "asr": asr.model or self.asr.name},
            utterances=utterances,
            language=asr.language,
            language_detection=(
                asr.detection
                or detection_of(asr, self.asr.is_multilingual, options.language, self.asr.name)
            ).as_dict(),
            summary=summary,
            speakers=speaker_summaries(utterances, options.speaker_names),
            options=options.recorded(),
        )
        attach_speaker_faces(transcript.speakers, utterances, faces, scan.thumbnails)
        return Result(transcript=transcript, timings=timings, warnings=list(asr.warnings))

    def _spans(
        self, audio: media.DecodedAudio, asr: AsrResult, stage: StageTimer
    ) -> tuple[list[Span], list[bool]]:
        """The utterances' spans and whether each overlaps another speaker's.

        Without a diarizer they are Whisper's words cut into utterances. With one, each word goes
        to the speaker active over it, and the speech of a turn that no word of its speaker
        covers is decoded again on its own: it stays an utterance even with no words."""
        options = self.options
        words = [w for segment in asr.segments for w in segment.words]
        if self.diarizer is None:
            speakers = [0] * len(words) if options.one_speaker else None
            spans = segments_to_spans(asr.segments, options.split, speakers)
            return spans, [False] * len(spans)
        from annotator.diarization import DiarizationOptions

        limits = DiarizationOptions(
            num_speakers=options.num_speakers,
            min_speakers=options.min_speakers,
            max_speakers=options.max_speakers,
        )
        with stage("speakers"):
            diarization = self.diarizer(audio.samples, limits)
            speakers = word_speakers(words, diarization)
            spans = segments_to_spans(asr.segments, options.split, speakers)
        with stage("transcribe"):
            heard = [w for span in spans for w in span.words]
            for region in unworded_regions(diarization, spans):
                first, last = (round(t * media.SAMPLE_RATE) for t in (region.start, region.end))
                found = self.asr.transcribe_region(
                    np.asarray(audio.samples[first:last]), asr.language
                )
                decoded = [
                    replace(
                        w,
                        start=round(w.start + region.start, 3),
                        end=round(w.end + region.start, 3),
                    )
                    for segment in found
                    for w in segment.words
                ]
                spans.append(region_span(region, decoded, heard))
        return finish_spans(spans)

    def clip_span(self, utterance: Utterance) -> tuple[float, float]:
        """Seconds of the recording an utterance's audio clip covers (padded each side)."""
        pad = self.options.audio_padding
        return utterance.start - pad, utterance.end + pad

    def audio_slice(self, samples: media.Samples, utterance: Utterance) -> np.ndarray:
        return Clips(samples, [self.clip_span(utterance)])[0]


class Clips(Sequence[np.ndarray]):
    """The utterances' audio clips, each read from the decoded recording when it is asked for:
    together they are nearly the whole recording's speech, so they are never all held at once
    (the emotion stage reads one clip at a time)."""

    def __init__(self, samples: media.Samples, spans: Sequence[tuple[float, float]]) -> None:
        self.samples = samples
        rate, total = media.SAMPLE_RATE, len(samples)
        self.bounds = [
            (max(0, int(start * rate)), min(total, int(end * rate))) for start, end in spans
        ]

    def __len__(self) -> int:
        return len(self.bounds)

    def __getitem__(self, index):  # type: ignore[override]  (an int; slices are not needed)
        first, last = self.bounds[index]
        return self.samples[first:last]


def limit_threads(threads: int) -> None:
    """--threads: the CPU threads any stage may use. CTranslate2 takes its count per model
    (passed at load); torch (face network, openai-whisper) and OpenCV (frame scaling) have one
    process-wide setting each, set here once."""
    if threads <= 0:
        return
    import cv2
    import torch

    torch.set_num_threads(threads)
    cv2.setNumThreads(threads)


def speaker_id(index: int) -> str:
    return f"SPEAKER_{index + 1}"


def speaker_summaries(utterances: list[Utterance], names: tuple[str, ...] = ()) -> list[Speaker]:
    """One entry per speaker, in order of first appearance: speaking time, utterance count and
    the share of speaking time of each emotion; `names` name SPEAKER_1, SPEAKER_2, ..."""
    ids = list(dict.fromkeys(u.speaker for u in utterances if u.speaker is not None))
    speakers = []
    for index, label in enumerate(ids):
        own = [u for u in utterances if u.speaker == label]
        shares = summarize([(u.duration, u.emotion.label if u.emotion else None) for u in own])
        speakers.append(
            Speaker(
                id=label,
                name=names[index] if index < len(names) else None,
                speaking_time=round(sum(u.duration for u in own), 3),
                utterances=len(own),
                emotions=shares["emotion_share"] if shares["speaking_time"] else {},
            )
        )
    return speakers
