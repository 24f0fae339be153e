"""Score speaker diarization with pyannote.metrics (DER, collar 0.25 s) and speaker accuracy.

Score a transcript (annotate's JSON: utterances with start, end, speaker) against a truth file
(an RTTM, or a truth JSON like sample_meetings/meeting.truth.json):

    python benchmarks/diarization.py score --truth sample_meetings/meeting.truth.json --hyp out.json

Run a diarization method on recordings: `segmentation` (the `Diarizer`: segmentation-3.0 +
CAM++ + agglomerative clustering, audio only) or `words` (windows over Whisper's words; the words
are computed once and cached under /tmp/annotator-diarization/asr):

    python benchmarks/diarization.py run --method segmentation \\
        ../shared/media/audio/ami-excerpts/train.rttm \\
        ../shared/media/audio/pyannote-sample/sample.rttm \\
        sample_meetings/call.truth.json sample_meetings/meeting.truth.json
    python benchmarks/ravdess_meetings.py --actors 1-24 --out /tmp/ravdess_meetings
    python benchmarks/diarization.py run --method words /tmp/ravdess_meetings/*.truth.json

Cost on the 10-minute benchmark recording (benchmarks/speed.py's looped sample meeting):

    python benchmarks/diarization.py cost --minutes 10 --threads 2

A truth file's recording is found next to it: a JSON's "recording", an RTTM's URIs with .wav or
.flac (an RTTM may hold several recordings, as the AMI excerpts' train.rttm does; a .uem beside
it gives the scored region). Printed per recording and in total: DER (pyannote, collar 0.25 s,
overlap scored) and DER with overlapped speech skipped, the share of speaking time with the
right speaker under the best one-to-one speaker mapping, utterance speaker accuracy (truth JSONs:
each truth utterance takes the hypothesis speaker that covers most of it, mapped one-to-one),
and speakers found vs true.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pyannote.core import Annotation, Segment, Timeline
from pyannote.metrics.diarization import DiarizationErrorRate
from scipy.optimize import linear_sum_assignment

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from annotator.runtime import set_runtime_environment  # noqa: E402

set_runtime_environment()  # the annotate command's process settings, before any library loads

from annotator.transcript import Word  # noqa: E402
from annotator.utterances import Segment as AsrSegment  # noqa: E402

CACHE = Path("/tmp/annotator-diarization/asr")
COLLAR = 0.25


@dataclass(frozen=True)
class Turn:
    start: float
    end: float
    speaker: str


# ---------------------------------------------------------------- reading truth and hypotheses


@dataclass
class Recording:
    name: str
    truth: list[Turn]
    audio: Path | None
    utterance_truth: bool  # truth turns are utterances (a truth JSON)
    scored: tuple[float, float] | None = None  # the UEM's region, when one is given


def read_truth(path: Path) -> tuple[list[Turn], Path | None, bool]:
    """Turns, the recording next to it (if found), and whether turns are utterances (JSON)."""
    recording = read_recordings(path)[0]
    return recording.truth, recording.audio, recording.utterance_truth


def read_recordings(path: Path) -> list[Recording]:
    """The recordings a truth file describes: one per URI of an RTTM, one for a truth JSON."""
    if path.suffix == ".rttm":
        by_uri: dict[str, list[Turn]] = {}
        for line in path.read_text().splitlines():
            fields = line.split()
            if fields and fields[0] == "SPEAKER":
                start, duration = float(fields[3]), float(fields[4])
                by_uri.setdefault(fields[1], []).append(Turn(start, start + duration, fields[7]))
        regions: dict[str, tuple[float, float]] = {}
        if path.with_suffix(".uem").is_file():
            for line in path.with_suffix(".uem").read_text().splitlines():
                uri, _, start, end = line.split()
                regions[uri] = (float(start), float(end))
        recordings = []
        for uri, turns in by_uri.items():
            stems = [uri] if len(by_uri) > 1 else [uri, path.stem]
            audio = next(
                (
                    p
                    for stem in stems
                    for p in (path.with_name(stem + ".wav"), path.with_name(stem + ".flac"))
                    if p.is_file()
                ),
                None,
            )
            recordings.append(Recording(uri, turns, audio, False, regions.get(uri)))
        return recordings
    data = json.loads(path.read_text())
    turns = [Turn(u["start"], u["end"], str(u["speaker"])) for u in data["utterances"]]
    audio = path.parent / data["recording"] if data.get("recording") else None
    return [Recording(path.name, turns, audio, True)]


def read_hypothesis(path: Path) -> list[Turn]:
    data = json.loads(path.read_text())
    return [
        Turn(u["start"], u["end"], str(u["speaker"]))
        for u in data["utterances"]
        if u.get("speaker") is not None
    ]


def annotation(turns: Sequence[Turn]) -> Annotation:
    result = Annotation()
    for i, t in enumerate(turns):
        if t.end > t.start:
            result[Segment(t.start, t.end), i] = t.speaker
    return result


# ---------------------------------------------------------------- scores


def overlap(a: Turn, b: Turn) -> float:
    return max(0.0, min(a.end, b.end) - max(a.start, b.start))


def best_mapping(matrix: np.ndarray) -> float:
    """Total of the best one-to-one assignment of rows to columns (Hungarian)."""
    rows, cols = linear_sum_assignment(-matrix)
    return float(matrix[rows, cols].sum())


@dataclass
class Scores:
    der: float
    der_no_overlap: float  # overlapped speech not scored
    time_right: float  # share of truth speaking time whose speaker is right (one-to-one mapping)
    utterances_right: float | None
    speakers_found: int
    speakers_true: int
    speech: float  # seconds of truth speech


def score(
    truth: Sequence[Turn],
    hyp: Sequence[Turn],
    utterance_truth: bool,
    scored: tuple[float, float] | None = None,
) -> Scores:
    reference, hypothesis = annotation(truth), annotation(hyp)
    uem = Timeline([Segment(*(scored or (0, max(t.end for t in [*truth, *hyp]))))])
    der = DiarizationErrorRate(collar=COLLAR, skip_overlap=False)(reference, hypothesis, uem=uem)
    der_no_overlap = DiarizationErrorRate(collar=COLLAR, skip_overlap=True)(
        reference, hypothesis, uem=uem
    )
    true_speakers = sorted({t.speaker for t in truth})
    found_speakers = sorted({t.speaker for t in hyp})
    # Seconds each truth speaker and each hypothesis speaker speak at the same time.
    together = np.zeros((len(true_speakers), max(1, len(found_speakers))))
    for t in truth:
        for h in hyp:
            together[true_speakers.index(t.speaker), found_speakers.index(h.speaker)] += overlap(
                t, h
            )
    speech = sum(t.end - t.start for t in truth)
    time_right = best_mapping(together) / speech
    utterances_right = None
    if utterance_truth:
        # Each truth utterance gets the hypothesis speaker covering most of it; then the
        # one-to-one mapping that makes the most utterances right.
        votes = np.zeros_like(together)
        for t in truth:
            cover = [overlap(t, h) for h in hyp]
            if cover and max(cover) > 0:
                best = hyp[int(np.argmax(cover))].speaker
                votes[true_speakers.index(t.speaker), found_speakers.index(best)] += 1
        utterances_right = best_mapping(votes) / len(truth)
    return Scores(
        der,
        der_no_overlap,
        time_right,
        utterances_right,
        len(found_speakers),
        len(true_speakers),
        speech,
    )


def report(name: str, s: Scores) -> None:
    utterances = "" if s.utterances_right is None else f"  utterances {s.utterances_right:6.1%}"
    print(
        f"{name:32s} DER {s.der:6.1%}  no-overlap {s.der_no_overlap:6.1%}  "
        f"time right {s.time_right:6.1%}{utterances}  "
        f"speakers {s.speakers_found}/{s.speakers_true}",
        flush=True,
    )


# ---------------------------------------------------------------- running the stage


def transcribe_cached(audio: Path, samples: np.ndarray) -> tuple[list[AsrSegment], float]:
    """Whisper segments with word timestamps (tiny.en, 1 thread), cached; and its seconds."""
    key = hashlib.sha256(samples.tobytes()).hexdigest()[:16]
    cache = CACHE / f"{audio.stem}-{key}.json"
    if not cache.is_file():
        from annotator.asr import load_engine

        engine = load_engine("faster-whisper", "tiny.en", threads=1)  # as the pipeline runs it
        began = time.perf_counter()
        segments = engine.transcribe(samples, "en").segments
        data = [
            {
                "start": s.start,
                "end": s.end,
                "text": s.text,
                "words": [[w.start, w.end, w.word, w.probability] for w in s.words],
            }
            for s in segments
        ]
        seconds = time.perf_counter() - began
        CACHE.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps({"seconds": seconds, "segments": data}))
    data = json.loads(cache.read_text())
    segments = [
        AsrSegment(s["start"], s["end"], s["text"], tuple(Word(*w) for w in s["words"]))
        for s in data["segments"]
    ]
    return segments, data["seconds"]


def load_audio(path: Path) -> np.ndarray:
    from annotator.media import decode_audio, probe

    return decode_audio(probe(path)).samples[:]  # the whole recording as one array


def run(args: argparse.Namespace) -> None:
    from annotator.diarization import DiarizationOptions, Diarizer, SpeakerEmbedder
    from annotator.diarization.words import diarize as diarize_words
    from annotator.utterances import segments_to_spans

    options = DiarizationOptions(num_speakers=args.num_speakers)
    if args.method == "segmentation":
        from annotator.diarization import clustering, stage

        diarizer = Diarizer.load(threads=args.threads)
        if args.step:
            diarizer.step = args.step
        stage.CLUSTERING = args.clustering
        if args.threshold is not None:
            clustering.THRESHOLD = args.threshold
        name = f"{diarizer.name}, {args.clustering} clustering"
    else:
        embedder = SpeakerEmbedder.load(threads=args.threads)
        name = f"words + {embedder.name} (spectral)"
    totals: list[Scores] = []
    exact = 0
    asr_seconds = diar_seconds = audio_seconds = 0.0
    for truth_path in args.truth:
        for recording in read_recordings(truth_path):
            assert recording.audio is not None, f"no recording found next to {truth_path}"
            samples = load_audio(recording.audio)
            if args.method == "segmentation":
                began = time.perf_counter()
                result = diarizer(samples, options)
                diar_seconds += time.perf_counter() - began
                hyp = [Turn(t.start, t.end, f"S{t.speaker}") for t in result.turns]
            else:
                segments, asr_time = transcribe_cached(recording.audio, samples)
                asr_seconds += asr_time
                words = [w for s in segments for w in s.words]
                began = time.perf_counter()
                speakers = diarize_words(samples, words, embedder, options)
                diar_seconds += time.perf_counter() - began
                spans = segments_to_spans(segments, word_speakers=speakers)
                hyp = [Turn(s.start, s.end, f"S{s.speaker}") for s in spans]
            audio_seconds += len(samples) / 16_000
            s = score(recording.truth, hyp, recording.utterance_truth, recording.scored)
            exact += s.speakers_found == s.speakers_true
            totals.append(s)
            report(recording.name, s)
    if len(totals) > 1:
        weight = np.array([s.speech for s in totals])
        mean = lambda xs: float(np.average(xs, weights=weight))  # noqa: E731
        print(
            f"{'speech-weighted mean':32s} DER {mean([s.der for s in totals]):6.1%}  no-overlap "
            f"{mean([s.der_no_overlap for s in totals]):6.1%}  time right "
            f"{mean([s.time_right for s in totals]):6.1%}  speakers exact {exact}/{len(totals)}"
        )
        print(
            f"{'mean':32s} DER {np.mean([s.der for s in totals]):6.1%}  no-overlap "
            f"{np.mean([s.der_no_overlap for s in totals]):6.1%}"
        )
    cost = f", transcription {asr_seconds:.1f} s (cached)" if asr_seconds else ""
    print(f"{name}: {audio_seconds:.0f} s audio, diarization {diar_seconds:.1f} s{cost}")


def cost(args: argparse.Namespace) -> None:
    """Diarization time against transcription time on the speed benchmark's recording."""
    from annotator.asr import load_engine
    from annotator.diarization import DiarizationOptions, Diarizer, SpeakerEmbedder
    from annotator.diarization.words import diarize as diarize_words
    from benchmarks.speed import build_recording

    args.work.mkdir(parents=True, exist_ok=True)
    recording = build_recording(args.minutes, args.work)
    samples = load_audio(recording)
    engine = load_engine("faster-whisper", "tiny.en", threads=args.threads)
    began = time.perf_counter()
    segments = engine.transcribe(samples, "en").segments
    asr = time.perf_counter() - began
    words = [w for s in segments for w in s.words]
    diarizer = Diarizer.load(threads=args.threads)
    if args.step:
        diarizer.step = args.step
    began = time.perf_counter()
    windows, activity, local = diarizer.local_speakers(samples)
    networks = time.perf_counter() - began
    result = diarizer.global_speakers(windows, activity, local, DiarizationOptions())
    segmentation = time.perf_counter() - began
    embedder = SpeakerEmbedder.load(threads=args.threads)
    began = time.perf_counter()
    diarize_words(samples, words, embedder, DiarizationOptions())
    old = time.perf_counter() - began
    minutes = len(samples) / 16_000 / 60
    print(f"{recording.name}: {minutes:.1f} min, {args.threads} threads, step {diarizer.step} s")
    print(f"transcription (faster-whisper tiny.en)  {asr:7.1f} s")
    print(
        f"diarization, segmentation method       {segmentation:7.1f} s ({segmentation / asr:.0%}"
        f" of transcription; networks {networks:.1f} s, {len(local.vectors)} embeddings, "
        f"{result.num_speakers} speakers)"
    )
    print(f"diarization, word-window method        {old:7.1f} s ({old / asr:.0%})")


def oracle(args: argparse.Namespace) -> None:
    """Embeddings and clustering alone: the truth's turns stand in for the ASR's words."""
    from annotator.diarization import DiarizationOptions, SpeakerEmbedder
    from annotator.diarization import words as sp

    embedder = SpeakerEmbedder.load(threads=args.threads)
    recordings = []
    for truth_path in args.truth:
        truth, audio, _ = read_truth(truth_path)
        samples = load_audio(audio)
        # The truth's speech cut into 0.25 s pseudo-words, each labelled as diarize labels words.
        pseudo_words = [
            Word(float(a), float(min(a + 0.25, t.end)), " x", 1.0)
            for t in truth
            for a in np.arange(t.start, t.end, 0.25)
        ]
        windows = sp.speech_windows(pseudo_words, len(samples) / 16_000)
        centres = np.array([(s + e) / 2 for s, e in windows])
        nearest = [int(np.argmin(np.abs(centres - (w.start + w.end) / 2))) for w in pseudo_words]
        recordings.append((truth, pseudo_words, nearest, embedder.embed(samples, windows)))
    rights, exact, counts = [], 0, []
    for truth, pseudo_words, nearest, embeddings in recordings:
        labels = sp.spectral_cluster(embeddings, DiarizationOptions())
        hyp = [
            Turn(w.start, w.end, f"S{labels[i]}")
            for w, i in zip(pseudo_words, nearest, strict=True)
        ]
        found = score(truth, hyp, False)
        rights.append(found.time_right)
        exact += found.speakers_found == found.speakers_true
        counts.append(f"{found.speakers_found}/{found.speakers_true}")
    print(
        f"{embedder.name}: oracle speech, time right {np.mean(rights):6.1%}  "
        f"speakers exact {exact}/{len(recordings)} ({' '.join(counts)})",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("score", help="score an annotate JSON transcript against a truth file")
    s.add_argument("--truth", type=Path, required=True)
    s.add_argument("--hyp", type=Path, required=True)
    r = sub.add_parser("run", help="run a diarization method on recordings and score it")
    r.add_argument("truth", type=Path, nargs="+")
    r.add_argument("--method", choices=("segmentation", "words"), default="segmentation")
    r.add_argument("--step", type=float, default=None, help="seconds between 10 s windows")
    r.add_argument("--clustering", choices=("spectral", "agglomerative"), default="spectral")
    r.add_argument("--threshold", type=float, default=None, help="agglomerative threshold")
    r.add_argument("--num-speakers", type=int, default=None)
    r.add_argument("--threads", type=int, default=1)
    c = sub.add_parser("cost", help="diarization time against transcription time")
    c.add_argument("--minutes", type=float, default=10)
    c.add_argument("--threads", type=int, default=2)
    c.add_argument("--step", type=float, default=None, help="seconds between 10 s windows")
    c.add_argument("--work", type=Path, default=Path("/tmp/annotator-speed"))
    o = sub.add_parser("oracle", help="embeddings + clustering on the truth's speech (no ASR)")
    o.add_argument("truth", type=Path, nargs="+")
    o.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    if args.command == "oracle":
        oracle(args)
    elif args.command == "cost":
        cost(args)
    elif args.command == "score":
        truth, _, utterance_truth = read_truth(args.truth)
        report(args.hyp.name, score(truth, read_hypothesis(args.hyp), utterance_truth))
    else:
        run(args)


if __name__ == "__main__":
    main()
