"""The faces stage under cheaper settings, against decoding every frame: same faces and crops?

    python benchmarks/face_stage.py [RECORDING [TRUTH]] [--repeat 2]

Runs `speaker_faces` on RECORDING (default: sample_meetings/meeting.mp4) over the utterance
spans of TRUTH (default: the recording's `.truth.json` beside it; else consecutive 3-second
spans) once per setting: the detection width and ffmpeg decoder options. Against the baseline
(every frame decoded at the default detection width: the stage before it adopted
`DECODER_OPTIONS`) it reports, per setting:

- frames: sampled frames in which the speaker's face was found, and how many of those differ
  from the baseline (found in one and not the other);
- box: the largest difference between the face box sides found in both (pixels of the sampled
  frame);
- aligned: the mean absolute difference of the aligned 48x48 faces (gray levels, 0-255);
- labels: utterances whose face-expression label (the shipped model, frames combined) changes;
- time: wall and CPU seconds of the stage, best of `--repeat` runs, and the ratio to the
  baseline from the same run.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# As the CLI sets it (annotator/cli.py): spinning OpenMP threads on a shared 2-core machine make
# detection several times slower, and the timings meaningless.
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from annotator.runtime import set_runtime_environment  # noqa: E402

set_runtime_environment()  # the annotate command's process settings, before any library loads

from annotator import media  # noqa: E402
from annotator.emotion.face import FaceEnsemble, combine_frames  # noqa: E402
from annotator.emotion.labels import LABELS  # noqa: E402
from annotator.faces import (  # noqa: E402
    DECODER_OPTIONS,
    FaceDetector,
    UtteranceFaces,
    speaker_faces,
)
from annotator.options import Options  # noqa: E402


@dataclass(frozen=True)
class Setting:
    name: str
    detect_width: int
    decoder_options: tuple[str, ...] = ()


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def spans_of(recording: Path, truth: Path | None, duration: float) -> list[tuple[float, float]]:
    if truth is not None and truth.exists():
        return [(u["start"], u["end"]) for u in json.loads(truth.read_text())["utterances"]]
    return [(t, min(duration, t + 3.0)) for t in np.arange(0.0, duration, 3.0)]


def run(info, spans, setting: Setting, options: Options, repeat: int):
    best = None
    for _ in range(repeat):
        detector = FaceDetector(detect_width=setting.detect_width)
        wall, cpu = time.perf_counter(), cpu_seconds()
        faces = speaker_faces(
            info,
            spans,
            detector,
            options.face_fps,
            options.frame_width,
            decoder_options=setting.decoder_options,
        )
        took = (time.perf_counter() - wall, cpu_seconds() - cpu)
        if best is None or took[0] < best[1][0]:
            best = (faces, took)
    return best


def labels(model: FaceEnsemble, faces: list[UtteranceFaces | None]) -> list[str | None]:
    out: list[str | None] = []
    for found in faces:
        if not found or not found.faces:
            out.append(None)
            continue
        probs = model.predict([f.aligned for f in found.faces])
        weights = np.array([f.confidence * f.size for f in found.faces])
        out.append(LABELS[int(np.argmax(combine_frames(probs, weights)))])
    return out


def compare(base: list[UtteranceFaces | None], other: list[UtteranceFaces | None]) -> dict:
    found = differ = 0
    box = 0.0
    aligned: list[float] = []
    for a, b in zip(base, other, strict=True):
        by_time_a = {round(f.time, 3): f for f in (a.faces if a else [])}
        by_time_b = {round(f.time, 3): f for f in (b.faces if b else [])}
        found += len(by_time_b)
        differ += len(set(by_time_a) ^ set(by_time_b))
        for t in set(by_time_a) & set(by_time_b):
            fa, fb = by_time_a[t], by_time_b[t]
            box = max(box, abs(fa.size - fb.size))
            diff = np.abs(fa.aligned.astype(np.int16) - fb.aligned.astype(np.int16))
            aligned.append(float(diff.mean()))
    return {
        "found": found,
        "differ": differ,
        "box_side_px": box,
        "aligned_mean_abs": float(np.mean(aligned)) if aligned else float("nan"),
        "aligned_worst": float(np.max(aligned)) if aligned else float("nan"),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "recording", nargs="?", type=Path, default=ROOT / "sample_meetings" / "meeting.mp4"
    )
    parser.add_argument("truth", nargs="?", type=Path)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--widths", type=int, nargs="+", default=[256, 224, 192, 160])
    args = parser.parse_args(argv)
    truth = args.truth or args.recording.with_suffix(".truth.json")
    options = Options()
    info = media.probe(args.recording)
    spans = spans_of(args.recording, truth, info.duration or 0.0)
    model = FaceEnsemble.load()
    # The baseline decodes every frame, as the stage did before DECODER_OPTIONS.
    settings = [Setting(f"all frames, detect {options.detect_width} px", options.detect_width)]
    settings += [Setting(f"all frames, detect {w} px", w) for w in args.widths]
    for width in (options.detect_width, *args.widths):
        settings.append(Setting(f"`{' '.join(DECODER_OPTIONS)}`, detect {width} px", width,
                                DECODER_OPTIONS))  # fmt: skip
    results = []
    for setting in settings:
        faces, (wall, cpu) = run(info, spans, setting, options, args.repeat)
        results.append((setting, faces, wall, cpu, labels(model, faces)))
        print(f"  {setting.name}: {wall:.2f} s", file=sys.stderr)
    base_faces, base_wall, base_cpu, base_labels = results[0][1:]
    print(f"Faces stage on `{args.recording.name}` ({(info.duration or 0) / 60:.1f} min, "
          f"{info.width}x{info.height}), {len(spans)} spans, face_fps {options.face_fps}, "
          f"frame_width {options.frame_width}; best of {args.repeat}:")  # fmt: skip
    print()
    print("| setting | frames with the face | differ | box side Δ | aligned Δ mean / worst | "
          "labels changed | wall | CPU | wall / baseline |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for setting, faces, wall, cpu, names in results:
        c = compare(base_faces, faces)
        changed = sum(a != b for a, b in zip(base_labels, names, strict=True))
        print(
            f"| {setting.name} | {c['found']} | {c['differ']} | {c['box_side_px']:.1f} px | "
            f"{c['aligned_mean_abs']:.1f} / {c['aligned_worst']:.1f} | {changed}/{len(spans)} | "
            f"{wall:.2f} s | {cpu:.2f} s | {wall / base_wall:.2f}× |"
        )


if __name__ == "__main__":
    main()
