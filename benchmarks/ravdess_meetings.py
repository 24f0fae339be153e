"""Compose multi-speaker "meetings" from RAVDESS speech clips, deterministically.

    python benchmarks/ravdess_meetings.py --data ../shared/data --out /tmp/ravdess_meetings
    python benchmarks/ravdess_meetings.py --actors 1-24 --meetings 10   # 4-6 actors from all 24

Each meeting has 4-6 actors (capped by how many the actor pool holds), each speaking 8-15 turns
in a shuffled order where no actor speaks twice in a row, separated by 0.5-1.5 s of silence.
Every clip's leading and trailing silence (about 1 s each side in RAVDESS) is trimmed with a
frame-energy threshold so turns are tight. Writes `meeting_XX.flac` (16 kHz mono) and
`meeting_XX.truth.json` in the format of `sample_meetings/meeting.truth.json`.

Actor pools follow the EmoBox folds ({1-4}, {5-8}, ..., {21-24}) so a speech-emotion model can be
evaluated on actors it was not trained on: by default meeting i uses only the actors of fold
i mod 6 (so 4 actors each); `--actors A-B` draws every meeting from actors A..B instead.
The meetings are data derived from RAVDESS (CC BY-NC-SA 4.0): never commit them.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import soundfile as sf

SAMPLE_RATE = 16_000
FOLDS = [range(1, 5), range(5, 9), range(9, 13), range(13, 17), range(17, 21), range(21, 25)]
EMOTIONS = {
    "01": "neutral",
    "02": "calm",
    "03": "happy",
    "04": "sad",
    "05": "angry",
    "06": "fearful",
    "07": "disgust",
    "08": "surprised",
}
STATEMENTS = {"01": "Kids are talking by the door", "02": "Dogs are sitting by the door"}
FRAME = 0.02  # seconds per energy frame when trimming
TRIM_DB = 35.0  # a frame is speech when within this many dB of the clip's loudest frame
KEEP = 0.05  # seconds kept beyond the first and last speech frame (soft onsets, releases)


def speech_span(samples: np.ndarray) -> tuple[int, int]:
    """First and last sample of the speech in a clip, by a threshold relative to its peak frame.

    Relative to the clip's own loudest frame because RAVDESS levels vary by tens of dB between
    actors and emotions; 35 dB below the peak is well above the studio noise floor.
    """
    hop = int(FRAME * SAMPLE_RATE)
    frames = len(samples) // hop
    rms = np.sqrt(np.mean(samples[: frames * hop].reshape(frames, hop) ** 2, axis=1) + 1e-12)
    db = 20 * np.log10(rms)
    loud = np.flatnonzero(db > db.max() - TRIM_DB)
    return int(loud[0] * hop), int((loud[-1] + 1) * hop)


def actor_pool(spec: str | None, meeting: int) -> list[int]:
    if spec is None:
        return list(FOLDS[meeting % len(FOLDS)])
    first, _, last = spec.partition("-")
    return list(range(int(first), int(last or first) + 1))


def turn_order(rng: np.random.Generator, turns: dict[int, int]) -> list[int]:
    """Shuffle the turns so that no actor speaks twice in a row (when that is possible)."""
    left = dict(turns)
    order: list[int] = []
    while any(left.values()):
        previous = order[-1] if order else None
        choices = [a for a, n in left.items() if n and a != previous] or [previous]
        # Weighting by turns left keeps the actor with most turns from being stranded at the end.
        weights = np.array([left[a] for a in choices], dtype=float)
        actor = choices[int(rng.choice(len(choices), p=weights / weights.sum()))]
        order.append(actor)
        left[actor] -= 1
    return order


def compose(data: Path, out: Path, index: int, actors_spec: str | None, seed: int) -> dict:
    rng = np.random.default_rng([seed, index])
    pool = actor_pool(actors_spec, index)
    count = min(len(pool), int(rng.integers(4, 7)))
    actors = sorted(int(a) for a in rng.choice(pool, size=count, replace=False))
    turns = {a: int(rng.integers(8, 16)) for a in actors}
    clips = {
        a: [
            str(p)
            for p in rng.permutation(
                sorted((data / "ravdess-speech" / f"Actor_{a:02d}").glob("*.flac"))
            )
        ]
        for a in actors
    }
    pieces: list[np.ndarray] = []
    utterances = []
    position = 0
    for turn, actor in enumerate(turn_order(rng, turns)):
        path = Path(clips[actor].pop())
        samples, rate = sf.read(path, dtype="float32")
        assert rate == SAMPLE_RATE and samples.ndim == 1, path
        first, last = speech_span(samples)
        keep = int(KEEP * SAMPLE_RATE)
        clip = samples[max(0, first - keep) : last + keep]
        if turn:
            gap = int(rng.uniform(0.5, 1.5) * SAMPLE_RATE)
            pieces.append(np.zeros(gap, dtype=np.float32))
            position += gap
        speech_start = position + (first - max(0, first - keep))
        pieces.append(clip)
        codes = path.stem.split("-")
        utterances.append(
            {
                "start": round(speech_start / SAMPLE_RATE, 3),
                "end": round((speech_start + last - first) / SAMPLE_RATE, 3),
                "speaker": f"ravdess_{actor:02d}",
                "text": STATEMENTS[codes[4]],
                "source": f"ravdess-speech/{path.parent.name}/{path.name}",
                "emotion": EMOTIONS[codes[2]],
            }
        )
        position += len(clip)
    pieces.append(np.zeros(SAMPLE_RATE // 2, dtype=np.float32))
    audio = np.concatenate(pieces)
    name = f"meeting_{index:02d}"
    sf.write(out / f"{name}.flac", audio, SAMPLE_RATE, format="FLAC", subtype="PCM_16")
    truth = {
        "recording": f"{name}.flac",
        "duration": round(len(audio) / SAMPLE_RATE, 3),
        "actors": actors,
        "utterances": utterances,
    }
    (out / f"{name}.truth.json").write_text(json.dumps(truth, indent=2) + "\n")
    return truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, default=Path("/tmp/ravdess_meetings"))
    parser.add_argument("--meetings", type=int, default=10)
    parser.add_argument("--actors", help="actor range, e.g. 1-4 (default: cycle the six folds)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for index in range(args.meetings):
        truth = compose(args.data, args.out, index, args.actors, args.seed)
        print(
            f"{args.out / truth['recording']}: {truth['duration']:.1f} s, actors "
            f"{truth['actors']}, {len(truth['utterances'])} turns"
        )


if __name__ == "__main__":
    main()
