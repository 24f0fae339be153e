"""Wire the stages for one recording: decode, transcribe, diarize, utterances, faces, emotion.

The models are loaded once by `Annotator` and reused for every file of a run. Each stage gets
what an earlier stage already produced (the audio is decoded once, the video streamed once).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from annotator import media
from annotator.asr import ModelLoadError, load_engine
from annotator.asr.language import detection_of
from annotator.asr.result import AsrResult
from annotator.devices import resolve_devices
from annotator.emotion.fusion import summarize
from annotator.face_speakers import attach_speaker_faces, mark_face_tracks
from annotator.faces import FaceDetector, FaceScan, UtteranceFaces, scan_faces
from annotator.log import collect_warnings, unique
from annotator.options import Options
from annotator.runtime import set_runtime_environment
from annotator.transcript import FaceFrames, Source, Speaker, Transcript, Utterance, Word
from annotator.utterances import (
    finish_spans,
    new_words,
    segments_to_spans,
    speaker_turns,
    turn_spans,
    unworded_parts,
    word_speakers,
)

if TYPE_CHECKING:
    from annotator.diarization import Diarization


class NoSpeechError(media.MediaError):
    """The recording decoded fine but contains no speech to transcribe."""


@dataclass
class Result:
    transcript: Transcript
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    warnings: list[str] = field(default_factory=list)  # one line each, for the user now


ProgressCallback = Callable[[str], None]


class Annotator:
    """The stages with their models loaded once; `annotate(path)` runs them in order.

    Each stage is also a method of its own, called on what the stages before it returned, so a
    benchmark or a live feed runs the same code: `decode` -> `transcribe` -> `diarize` ->
    `utterances` -> `faces` -> `emotions`, then `transcript`. This class is the only place that
    knows that order. Everything that can fail before a file is read fails here: settings that
    do not go together (ValueError) and models that cannot load (ModelLoadError).
    """

    def __init__(self, options: Options | None = None) -> None:
        options = options or Options()
        options.check()
        # For library users too (the CLI sets them earlier): before any model loads.
        set_runtime_environment()
        self.options = options
        # Each library on the GPU when it can use one; the transcript records where each ran.
        self.devices = resolve_devices(options.device)
        limit_threads(options.threads)
        self.asr = load_engine(
            options.engine,
            options.whisper_model,
            options.threads,
            self.devices.whisper(options.engine),
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

            self.diarizer = Diarizer.load(threads=options.threads, device=self.devices.torch)
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
                device=self.devices.torch,
            )

    def _speech_encoder(self):
        """The speech-emotion model reads the bundled tiny.en encoder's states: share
        transcription's model when it holds that one, else load that encoder beside it."""
        from annotator.emotion.encoder import WhisperEncoder, bundled_encoder

        shared = self.asr.bundled_model()
        if shared is not None:
            return WhisperEncoder.from_whisper_model(shared, name="tiny.en")
        return bundled_encoder(self.options.threads, self.devices.asr)

    @property
    def models(self) -> dict[str, str]:
        models = {"asr": self.asr.name, "face_detector": self.detector.name}
        if self.diarizer is not None:
            models["diarization"] = self.diarizer.name
        if self.tagger is not None:
            models.update(self.tagger.models)
        return models

    # ------------------------------------------------------------------ the stages, in order

    def decode(self, path: Path) -> tuple[media.MediaInfo, media.DecodedAudio]:
        """What the file holds, and its audio decoded once (16 kHz mono)."""
        info = media.probe(path)
        return info, media.decode_audio(info)

    def transcribe(self, audio: media.DecodedAudio) -> AsrResult:
        """Whisper's segments with word times, in the recording's language."""
        return self.asr.transcribe(audio.samples, self.options.language)

    def diarize(self, audio: media.DecodedAudio) -> Diarization | None:
        """Who speaks when (None: speakers are not asked for, or there is one)."""
        if self.diarizer is None:
            return None
        from annotator.diarization import DiarizationOptions

        options = self.options
        limits = DiarizationOptions(
            num_speakers=options.num_speakers,
            min_speakers=options.min_speakers,
            max_speakers=options.max_speakers,
        )
        return self.diarizer(audio.samples, limits)

    def utterances(
        self, audio: media.DecodedAudio, asr: AsrResult, diarization: Diarization | None
    ) -> list[Utterance]:
        """The recording's utterances, in time order.

        Without a diarizer they are Whisper's words cut into utterances. With one, they are the
        speakers' turns: each word goes to the speaker active over it, speech of a turn that no
        word covers is decoded again on its own (the turn stays an utterance even with no
        words), and two people talking at once are two overlapping utterances."""
        options = self.options
        words = [w for segment in asr.segments for w in segment.words]
        if diarization is None:
            speakers = [0] * len(words) if options.one_speaker else None
            spans = segments_to_spans(asr.segments, options.split, speakers)
            overlaps = [False] * len(spans)
        else:
            turns = speaker_turns(diarization, words, word_speakers(words, diarization))
            heard = list(words)
            for turn in turns:
                for start, end in unworded_parts(turn):
                    found = new_words(self._decode_region(audio, start, end, asr.language), heard)
                    turn.add(found)
                    heard.extend(found)
            spans = [span for turn in turns for span in turn_spans(turn, options.split)]
            spans, overlaps = finish_spans(spans)
        return [
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

    def _decode_region(
        self, audio: media.DecodedAudio, start: float, end: float, language: str | None
    ) -> list[Word]:
        """The words Whisper hears in one stretch decoded alone, in the recording's time."""
        first, last = (round(t * media.SAMPLE_RATE) for t in (start, end))
        found = self.asr.transcribe_region(np.asarray(audio.samples[first:last]), language)
        return [
            replace(w, start=round(w.start + start, 3), end=round(w.end + start, 3))
            for segment in found
            for w in segment.words
        ]

    def faces(
        self, info: media.MediaInfo, audio: media.DecodedAudio, utterances: Sequence[Utterance]
    ) -> FaceScan:
        """The speaker's face in each utterance's frames (None per utterance without video):
        with several faces on screen, the one whose mouth predicts the sound of the speaker's
        voice. Records on each utterance how many frames were looked at."""
        options = self.options
        scan = scan_faces(
            info,
            [(u.start, u.end) for u in utterances],
            self.detector,
            options.face_fps,
            options.frame_width,
            keep_crops=options.save_clips is not None,
            audio=audio.samples,  # the speaker's face is the one whose mouth predicts the sound
            speakers=[u.speaker for u in utterances],  # whose utterances are decided together
        )
        for utterance, found in zip(utterances, scan.utterances, strict=True):
            if found is not None:
                utterance.face_frames = FaceFrames(sampled=found.sampled, with_face=found.with_face)
        return scan

    def emotions(
        self,
        audio: media.DecodedAudio,
        utterances: Sequence[Utterance],
        faces: Sequence[UtteranceFaces | None],
        language: str | None,
    ) -> dict | None:
        """Each utterance's fused emotion from its voice, face and words (set on the
        utterances); the recording's emotion summary. None: emotion is not asked for."""
        if self.tagger is None:
            return None
        speakers = [u.speaker for u in utterances] if utterances[0].speaker else None
        # The text model learnt English; in another language its branch is absent.
        english = (language or "").startswith("en")  # None: not identified
        texts = [u.text for u in utterances] if english else None
        tagged = self.tagger.tag(self.clips(audio, utterances), faces, speakers, texts)
        for utterance, result in zip(utterances, tagged, strict=True):
            utterance.emotion, utterance.sentiment = result.emotion, result.sentiment
        mark_face_tracks(utterances, faces)
        return summarize([(u.duration, u.emotion.label if u.emotion else None) for u in utterances])

    def transcript(
        self,
        path: Path,
        info: media.MediaInfo,
        audio: media.DecodedAudio,
        asr: AsrResult,
        utterances: list[Utterance],
        summary: dict | None,
        warnings: Sequence[str] = (),
    ) -> Transcript:
        options = self.options
        return Transcript(
            source=Source(
                path=str(path),
                duration=round(info.duration or audio.duration, 3),
                audio=info.has_audio,
                video=info.has_video,
                width=info.width,
                height=info.height,
                fps=info.fps,
                warnings=list(warnings),
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
            options=options.recorded(self.devices),
        )

    # ------------------------------------------------------------------ the whole recording

    def annotate(self, path: Path, progress: ProgressCallback | None = None) -> Result:
        timings: dict[str, float] = {}

        @contextmanager
        def stage(name: str) -> Iterator[None]:
            if progress:
                progress(name)
            started = time.perf_counter()
            yield
            timings[name] = timings.get(name, 0.0) + time.perf_counter() - started

        with collect_warnings() as warned:
            with stage("decode"):
                info, audio = self.decode(path)
            with stage("transcribe"):
                asr = self.transcribe(audio)
            with stage("speakers"):
                diarization = self.diarize(audio)
            with stage("utterances"):
                utterances = self.utterances(audio, asr, diarization)
            if not utterances:
                raise NoSpeechError("no speech found (silent or too short)")
            with stage("faces"):
                scan = self.faces(info, audio, utterances)
                faces = scan.utterances
            summary = None
            if self.tagger is not None:
                with stage("emotion"):
                    summary = self.emotions(audio, utterances, faces, asr.language)
            if self.options.save_clips is not None:
                with stage("save-clips"):
                    from annotator.saved_clips import save_clips

                    clips = self.clips(audio, utterances)
                    save_clips(self.options.save_clips / Path(path).stem, utterances, clips, faces)
        # For the user now: what the stages logged (annotator.log) and the transcription's own
        # lines. The transcript also keeps the decoder's messages about a damaged stream.
        for_user = unique([*asr.warnings, *warned])
        recorded = unique([*audio.warnings, *for_user])
        transcript = self.transcript(path, info, audio, asr, utterances, summary, recorded)
        attach_speaker_faces(transcript.speakers, utterances, faces, scan.thumbnails)
        return Result(transcript=transcript, timings=timings, warnings=for_user)

    def clips(self, audio: media.DecodedAudio, utterances: Sequence[Utterance]) -> Clips:
        """The utterances' audio clips (padded each side), read when asked for."""
        return Clips(audio.samples, [self.clip_span(u) for u in utterances])

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
