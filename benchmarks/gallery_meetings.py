"""Compose gallery-view meetings (a video call's grid of talking faces) with per-turn truth.

    python benchmarks/gallery_meetings.py [--media ../shared/media] [--out /tmp/gallery]
        [--set test|dev|all] [--duration 60] [--size 1280x720] [--only NAME ...]

Every tile shows one real talking-face clip from ../shared/media (GRID, CREMA-D, RAVDESS),
trimmed to its speech and looped for the whole meeting, so every face keeps moving its lips.
Turns of 1-6 s (with 0.3-1 s between them) go to a random speaker, never the same twice in a
row; only the current speaker's own clip is audible, the other tiles talk silently. In the
"offscreen" variant one speaker has no tile (a black tile shows instead, as for a camera
turned off) while their voice still plays; they take about a third of the turns.
Writes NAME.mp4 (H.264 + AAC, 25 fps) and NAME.truth.json: {"recording", "duration", "width",
"height", "tiles": [{"speaker", "source", "box"}], "utterances": [{"start", "end", "speaker",
"source", "box"}]}; a box is [x, y, w, h] of the speaker's tile in frame pixels, or null when
the speaker is off screen.

The sets: "dev" (GRID talkers the active-speaker settings were chosen on) and "test" (other
GRID talkers, CREMA-D actor 1001 and RAVDESS actors 01 and 09; see docs/faces.md for how
often they were looked at).
Sources and licenses: GRID (Cooke et al. 2006, CC BY 4.0), CREMA-D (Cao et al. 2014, ODbL 1.0 /
DbCL 1.0), RAVDESS (Livingstone & Russo 2018, CC BY-NC-SA 4.0). Outputs stay outside the
repository.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from annotator.media import ffmpeg_executable  # noqa: E402
from sample_meetings.compose import decode_audio, describe, gain_for, speech_span  # noqa: E402

FPS = 25
SAMPLE_RATE = 16_000
MARGIN = 0.1  # seconds kept around each clip's speech span before it loops
FADE = 0.01  # seconds of ramp at each turn's edges (no clicks)

DEV_POOL = [f"grid/{c}.mpg" for c in ("bbaf2n", "brbk7n", "lbax4n", "lbbc2a", "lrwp9a")]
TEST_POOL = [
    "grid/lwbsza.mpg",
    "crema-d/1001_DFA_NEU_XX.flv",
    "grid/sbia1a.mpg",
    "ravdess-av/01-01-01-01-01-01-01.mp4",
    "grid/sbwe5n.mpg",
    "ravdess-av/01-01-01-01-01-01-09.mp4",
    "grid/swiz3n.mpg",
    "grid/id2_vcd_swwp2s.mpg",
    "crema-d/1001_DFA_HAP_XX.flv",
]


@dataclass(frozen=True)
class Spec:
    name: str
    grid: int  # tiles per side: 2 (2x2) or 3 (3x3)
    sources: tuple[str, ...]  # one clip per speaker; with offscreen the last has no tile
    offscreen: bool = False
    seed: int = 0


def meeting_specs(which: str) -> list[Spec]:
    dev = [
        Spec("dev-2x2-a", 2, tuple(DEV_POOL[:4]), seed=1),
        Spec("dev-2x2-off", 2, tuple(DEV_POOL), offscreen=True, seed=2),
        Spec("dev-2x2-b", 2, tuple(DEV_POOL[1:]), seed=3),
        Spec("dev-2x2-off-b", 2, tuple(DEV_POOL[::-1]), offscreen=True, seed=4),
    ]
    test = [
        Spec("test-2x2-a", 2, tuple(TEST_POOL[:4]), seed=11),
        Spec("test-2x2-b", 2, tuple(TEST_POOL[4:8]), seed=12),
        Spec("test-2x2-off", 2, tuple(TEST_POOL[2:7]), offscreen=True, seed=13),
        Spec("test-3x3-a", 3, tuple(TEST_POOL), seed=14),
        Spec("test-3x3-off", 3, tuple(TEST_POOL), offscreen=True, seed=15),
        Spec("test-2x2-off-b", 2, tuple(TEST_POOL[4:9]), offscreen=True, seed=16),
    ]
    return {"dev": dev, "test": test, "all": dev + test}[which]


@dataclass(frozen=True)
class Source:
    source: str
    speaker: str
    start: float  # trimmed start in the source clip, on a frame boundary
    frames: int  # frames kept (and looped)
    audio: np.ndarray  # the kept audio, gain applied, exactly frames / FPS seconds


def _run(args: list[str]) -> None:
    subprocess.run(
        [ffmpeg_executable(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args],
        check=True,
    )


def prepare(media: Path, source: str) -> Source:
    """The source clip's speech, with a small margin, snapped to whole frames."""
    audio = decode_audio(media / source)
    span = speech_span(audio)
    gain = 10 ** (gain_for(audio, span) / 20)
    start = max(0.0, round((span[0] - MARGIN) * FPS) / FPS)
    end = min(len(audio) / SAMPLE_RATE, span[1] + MARGIN)
    frames = max(1, int((end - start) * FPS))
    first = int(round(start * SAMPLE_RATE))
    kept = audio[first : first + frames * SAMPLE_RATE // FPS] * gain
    kept = np.pad(kept, (0, frames * SAMPLE_RATE // FPS - len(kept)))
    return Source(source, describe(source).speaker, start, frames, kept.astype(np.float32))


def plan_turns(
    speakers: int, duration: float, rng: random.Random, offscreen: bool = False
) -> list[tuple[float, float, int]]:
    """(start, end, speaker) turns; an off-screen speaker (the last) takes a third of them, so
    that a minute holds enough of their turns to measure."""
    turns: list[tuple[float, float, int]] = []
    t, last = rng.uniform(0.3, 1.0), -1
    while True:
        length = rng.uniform(1.0, 6.0)
        if t + length > duration - 0.3:
            return turns
        absent = speakers - 1
        if offscreen and last != absent and rng.random() < 1 / 3:
            who = absent
        else:
            who = rng.choice([s for s in range(speakers - offscreen) if s != last])
        turns.append((round(t, 2), round(t + length, 2), who))
        t, last = t + length + rng.uniform(0.3, 1.0), who


def mix(sources: list[Source], turns: list[tuple[float, float, int]], duration: float):
    """Only the turn's speaker audible: their looped clip where the turn is, silence elsewhere."""
    total = int(duration * SAMPLE_RATE)
    out = np.zeros(total, np.float32)
    ramp = int(FADE * SAMPLE_RATE)
    for start, end, who in turns:
        a, b = int(start * SAMPLE_RATE), int(end * SAMPLE_RATE)
        looped = np.resize(sources[who].audio, total)  # the tile loops from the meeting's start
        piece = looped[a:b].copy()
        envelope = np.ones(len(piece), np.float32)
        envelope[:ramp] = np.linspace(0, 1, ramp)
        envelope[-ramp:] = np.linspace(1, 0, ramp)
        out[a:b] += piece * envelope
    return out


def compose(
    spec: Spec,
    media: Path,
    out: Path,
    duration: float = 60.0,
    size: tuple[int, int] = (1280, 720),
    crf: int = 23,
) -> tuple[Path, Path]:
    """Write spec.name + .mp4 and .truth.json under `out`; returns both paths."""
    out.mkdir(parents=True, exist_ok=True)
    sources = [prepare(media, s) for s in spec.sources]
    tiles = spec.grid * spec.grid
    shown = len(sources) - (1 if spec.offscreen else 0)
    if shown > tiles:
        raise ValueError(f"{spec.name}: {shown} faces do not fit a {spec.grid}x{spec.grid} grid")
    tw, th = size[0] // spec.grid // 2 * 2, size[1] // spec.grid // 2 * 2
    rng = random.Random(spec.seed)
    # Where each shown speaker sits; empty tiles (the absent one included) are black.
    places = rng.sample(range(tiles), shown)
    boxes: list[list[int] | None] = [
        [p % spec.grid * tw, p // spec.grid * th, tw, th] for p in places
    ] + [None] * (len(sources) - shown)
    turns = plan_turns(len(sources), duration, rng, spec.offscreen)
    video = out / f"{spec.name}.mp4"
    with tempfile.TemporaryDirectory(prefix="gallery-") as tmp:
        inputs: list[str] = []
        chains = ""
        for p in range(tiles):
            if p in places:
                src = sources[places.index(p)]
                inputs += ["-i", str(media / src.source)]  # cut by frame number below:
                first = round(src.start * FPS)  # input seeking lands frames off the audio
                # Fill the tile (scale to cover, centre crop), keep the speech's frames and loop
                # them in memory: frame k of the loop is frame k of the looped audio.
                chains += (
                    f"[{p}:v]fps={FPS},scale={tw}:{th}:force_original_aspect_ratio=increase,"
                    f"crop={tw}:{th},setsar=1,"
                    f"trim=start_frame={first}:end_frame={first + src.frames},"
                    f"loop=loop=-1:size={src.frames}:start=0,setpts=N/{FPS}/TB[v{p}];"
                )
            else:
                inputs += ["-f", "lavfi", "-i", f"color=c=black:s={tw}x{th}:r={FPS}"]
                chains += f"[{p}:v]setpts=N/{FPS}/TB[v{p}];"
        wav = Path(tmp) / "mix.f32"
        mix(sources, turns, duration).tofile(wav)
        inputs += ["-f", "f32le", "-ar", str(SAMPLE_RATE), "-ac", "1", "-i", str(wav)]
        layout = "|".join(f"{p % spec.grid * tw}_{p // spec.grid * th}" for p in range(tiles))
        stack = "".join(f"[v{p}]" for p in range(tiles))
        graph = f"{chains}{stack}xstack=inputs={tiles}:layout={layout},format=yuv420p[v]"
        _run(
            inputs
            + ["-filter_complex", graph, "-map", "[v]", "-map", f"{tiles}:a"]
            + ["-t", f"{duration:.2f}", "-r", str(FPS), "-c:v", "libx264", "-preset", "veryfast"]
            + ["-crf", str(crf), "-c:a", "aac", "-b:a", "96k", str(video)]
        )
    truth = {
        "recording": video.name,
        "duration": duration,
        "width": tw * spec.grid,
        "height": th * spec.grid,
        "tiles": [
            {"speaker": s.speaker, "source": s.source, "box": b}
            for s, b in zip(sources, boxes, strict=True)
        ],
        "utterances": [
            {
                "start": start,
                "end": end,
                "speaker": sources[who].speaker,
                "source": sources[who].source,
                "box": boxes[who],
            }
            for start, end, who in turns
        ],
    }
    truth_path = out / f"{spec.name}.truth.json"
    truth_path.write_text(json.dumps(truth, indent=1) + "\n")
    return video, truth_path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--media", type=Path, default=ROOT.parent / "shared" / "media")
    parser.add_argument("--out", type=Path, default=Path("/tmp/gallery"))
    parser.add_argument("--set", choices=("dev", "test", "all"), default="all")
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--only", nargs="+", default=[], help="meeting names to compose")
    args = parser.parse_args(argv)
    if not args.media.is_dir():
        sys.exit(f"{args.media}: media folder not found (the shared clips are needed)")
    size = tuple(int(v) for v in args.size.split("x"))
    for spec in meeting_specs(args.set):
        if args.only and spec.name not in args.only:
            continue
        video, truth = compose(spec, args.media, args.out, args.duration, size)  # type: ignore[arg-type]
        turns = json.loads(truth.read_text())["utterances"]
        off = sum(u["box"] is None for u in turns)
        print(f"{video}  {len(turns)} turns, {off} off screen")


if __name__ == "__main__":
    main()
