"""Transcripts in pieces against transcripts of the whole recording at once.

    python benchmarks/pieces.py

Long recordings are transcribed in pieces cut at silences (annotator.asr.pieces). The samples
(sample_meetings/meeting.mp4, 46 s; call.flac, 30 s) are shorter than a real piece (5 min), so
short piece lengths are forced on them (`--piece-seconds`); a 5.7-minute recording composed of
the project's real speech (the samples, jfk.flac, the pyannote sample, CREMA-D and GRID clips
from ../shared/media, twice over, apart by pauses of 1-2 s) is cut at `--long-piece-seconds`,
the real length included. Each recording is transcribed once whole and once per piece length,
with the pipeline's engine and model (`--whisper-model auto`, faster-whisper); the table gives:

- pieces: how many pieces the recording was cut into, and where (seconds);
- WER of the pieces' transcript against the whole recording's (target: at most 0.02);
- words: matched words (identical in both transcripts, on a minimal edit path) and the
  largest and mean difference of their start times.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from annotator.runtime import set_runtime_environment  # noqa: E402

set_runtime_environment()  # the annotate command's process settings, before any library loads

from annotator.asr import load_engine  # noqa: E402
from annotator.asr.pieces import PIECE_SECONDS, find_pieces, set_piece_seconds  # noqa: E402
from annotator.media import SAMPLE_RATE, SampleFile, decode_audio, probe  # noqa: E402
from annotator.options import Options  # noqa: E402
from annotator.training.metrics import word_error_rate  # noqa: E402

SAMPLES = ROOT / "sample_meetings"
SHARED = ROOT.parent / "shared"
RECORDINGS = (SAMPLES / "meeting.mp4", SAMPLES / "call.flac")
MAX_WER = 0.02


def long_recording(shared: Path = SHARED) -> np.ndarray:
    """5.7 minutes of real speech: the samples, jfk.flac, the pyannote sample and six CREMA-D
    and six GRID clips from ../shared/media, twice over, apart by pauses of 1-2 s."""
    sources = [
        SAMPLES / "call.flac",
        SAMPLES / "meeting.mp4",
        shared / "media" / "audio" / "jfk.flac",
        shared / "media" / "audio" / "pyannote-sample" / "sample.wav",
    ]
    sources += sorted((shared / "media" / "crema-d").glob("*.flv"))[:6]
    sources += sorted((shared / "media" / "grid").glob("*.mpg"))[:6]
    rng = np.random.default_rng(1)
    parts = []
    for _ in range(2):
        for source in sources:
            parts.append(decode_audio(probe(source)).samples[:])
            parts.append(np.zeros(int(rng.uniform(1.0, 2.0) * SAMPLE_RATE), dtype=np.float32))
    return np.concatenate(parts)


def words_of(result) -> list:
    return [w for segment in result.segments for w in segment.words]


def text_of(result) -> str:
    return " ".join(segment.text for segment in result.segments)


def aligned_pairs(a: Sequence[str], b: Sequence[str]) -> list[tuple[int, int]]:
    """Index pairs of equal words on a minimal edit path between a and b (Levenshtein
    alignment: unlike difflib's matcher it is not led astray by repeated passages)."""
    rows, cols = len(a) + 1, len(b) + 1
    cost = np.zeros((rows, cols), dtype=np.int32)
    cost[:, 0], cost[0, :] = np.arange(rows), np.arange(cols)
    for i in range(1, rows):
        for j in range(1, cols):
            cost[i, j] = min(
                cost[i - 1, j] + 1, cost[i, j - 1] + 1, cost[i - 1, j - 1] + (a[i - 1] != b[j - 1])
            )
    pairs, i, j = [], len(a), len(b)
    while i and j:
        if a[i - 1] == b[j - 1] and cost[i, j] == cost[i - 1, j - 1]:
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif cost[i, j] == cost[i - 1, j] + 1:
            i -= 1
        elif cost[i, j] == cost[i, j - 1] + 1:
            j -= 1
        else:
            i, j = i - 1, j - 1
    return pairs[::-1]


def compare(whole, pieces) -> tuple[float, int, float, float]:
    """WER of the pieces' text against the whole's; matched words and their start offsets."""
    a, b = words_of(whole), words_of(pieces)
    pairs = aligned_pairs([w.word.strip().lower() for w in a], [w.word.strip().lower() for w in b])
    shifts = [abs(a[i].start - b[j].start) for i, j in pairs]
    wer = word_error_rate(text_of(whole), text_of(pieces))
    return wer, len(shifts), max(shifts, default=0.0), sum(shifts) / max(1, len(shifts))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("recordings", nargs="*", type=Path, default=list(RECORDINGS))
    parser.add_argument("--piece-seconds", nargs="+", type=float, default=[15.0, 20.0, 30.0])
    parser.add_argument(
        "--long-piece-seconds", nargs="*", type=float, default=[60.0, 120.0, PIECE_SECONDS]
    )
    parser.add_argument("--whisper-model", default=Options().whisper_model)
    parser.add_argument("--engine", default=Options().engine)
    args = parser.parse_args(argv)

    engine = load_engine(args.engine, args.whisper_model)
    print(f"engine: {engine.name}")
    print(
        "| recording | piece limit | pieces (cuts, s) | WER vs whole | words matched | "
        "start shift max / mean |"
    )
    print("|---|---|---|---|---|---|")
    runs = [(r.name, decode_audio(probe(r)).samples, args.piece_seconds) for r in args.recordings]
    if args.long_piece_seconds and SHARED.is_dir():
        composed = SampleFile.from_array(long_recording())
        runs.append(
            (
                f"composed {len(composed) / SAMPLE_RATE / 60:.1f} min",
                composed,
                args.long_piece_seconds,
            )
        )
    worst = 0.0
    for name, audio, lengths in runs:
        set_piece_seconds(engine, float("inf"))
        whole = engine.transcribe(audio)
        for seconds in lengths:
            cuts = [round(p.offset, 1) for p in find_pieces(audio, seconds)[1:]]
            set_piece_seconds(engine, seconds)
            pieces = engine.transcribe(audio)
            wer, matched, largest, mean = compare(whole, pieces)
            worst = max(worst, wer)
            where = ", ".join(map(str, cuts))
            print(
                f"| {name} | {seconds:g} s | {len(cuts) + 1} ({where})"
                f" | {wer:.3f} | {matched}/{len(words_of(whole))} | {largest:.2f} / {mean:.3f} s |",
                flush=True,
            )
    verdict = "met" if worst <= MAX_WER else "MISSED"
    print(f"\nworst WER {worst:.3f} (target <= {MAX_WER}: {verdict})")


if __name__ == "__main__":
    main()
