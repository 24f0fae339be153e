"""What the faces stage costs on a gallery meeting, against transcribing the same recording.

    python benchmarks/gallery_meetings.py --set test --only test-3x3-a --duration 600 \
        --out /tmp/gallery-cost
    python benchmarks/gallery_cost.py /tmp/gallery-cost/test-3x3-a.mp4 [--no-transcribe]

On RECORDING (truth turns from NAME.truth.json beside it as the utterance spans) it times, in
one process: transcription with the pipeline's default engine and model (as `annotate` loads
them), and the faces stage as the pipeline runs it (audio given: tracks, mouth motion, choice)
and without the audio (the largest face, as the stage was before). For each it prints wall and
CPU seconds (this process and its ffmpeg children) and the rise of resident memory over the
level before the step (sampled every 50 ms). The machine may be shared: compare the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from annotator import media  # noqa: E402
from annotator.faces import FaceDetector, scan_faces  # noqa: E402
from annotator.options import Options  # noqa: E402


def rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure(name: str, step):
    base, peak, done = rss(), [0], threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            peak[0] = max(peak[0], rss())

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    wall, cpu = time.perf_counter(), cpu_seconds()
    result = step()
    took = time.perf_counter() - wall, cpu_seconds() - cpu
    done.set()
    watcher.join()
    rise = max(0, max(peak[0], rss()) - base) / 2**20
    print(f"{name:34s} wall {took[0]:7.1f} s   cpu {took[1]:7.1f} s   memory +{rise:6.1f} MiB")
    return result, took


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("recording", type=Path)
    parser.add_argument("--no-transcribe", action="store_true")
    args = parser.parse_args(argv)
    truth = json.loads(args.recording.with_suffix(".truth.json").read_text())
    spans = [(u["start"], u["end"]) for u in truth["utterances"]]
    options = Options()
    info = media.probe(args.recording)
    audio = media.decode_audio(info)
    print(f"{args.recording.name}: {info.width}x{info.height}, {info.duration:.0f} s, "
          f"{len(spans)} turns")  # fmt: skip
    detector = FaceDetector(detect_width=options.detect_width)
    speakers = [u["speaker"] for u in truth["utterances"]]

    def faces(with_audio: bool):
        return lambda: scan_faces(
            info,
            spans,
            detector,
            options.face_fps,
            options.frame_width,
            audio=audio.samples if with_audio else None,
            speakers=speakers if with_audio else None,
        )

    # The stage as it was first: it also warms up what loads on first use (the detector's
    # buffers), which would otherwise count as the second run's memory.
    _, before = measure("faces stage (largest face, no audio)", faces(False))
    _, stage = measure("faces stage (with audio)", faces(True))
    if not args.no_transcribe:
        from annotator.asr import load_engine

        engine = load_engine(options.engine, options.whisper_model, options.threads)
        _, asr = measure(f"transcription ({engine.name})", lambda: engine.transcribe(audio.samples))
        ratio = stage[0] / asr[0], stage[1] / asr[1], before[0] / asr[0]
        print(f"faces stage / transcription: {ratio[0]:.2f} wall, {ratio[1]:.2f} cpu; "
              f"without audio {ratio[2]:.2f} wall")  # fmt: skip


if __name__ == "__main__":
    main()
