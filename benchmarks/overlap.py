"""Does running the faces stage beside transcription pay on this machine?

    python benchmarks/overlap.py RECORDING [--threads 0]

The faces stage needs only the utterance times from transcription, so its video decoding and
face detection could run while Whisper transcribes (on frames of the whole recording, since the
utterances are not known yet). This measures the two ways on one recording, in one run:

- one after the other: transcription, then the faces stage on every sampled frame;
- side by side: the same two in two threads started together (ffmpeg decodes in its own
  process; CTranslate2 and YuNet release the GIL in their native code).

It prints the wall and CPU seconds of each and the ratio. No test runs it.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from annotator.runtime import set_runtime_environment  # noqa: E402

set_runtime_environment()  # the annotate command's process settings, before any library loads


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("recording", type=Path)
    parser.add_argument("--threads", type=int, default=0, help="as annotate --threads")
    args = parser.parse_args()

    from annotator.pipeline import Annotator, Options
    from annotator.transcript import Utterance

    annotator = Annotator(Options(threads=args.threads, emotion=False, diarize=False))
    info, audio = annotator.decode(args.recording)
    whole = [Utterance(0, 0.0, info.duration or audio.duration, "")]

    def transcribe() -> None:
        annotator.transcribe(audio)

    def faces() -> None:
        annotator.faces(info, audio, whole)

    rows = []
    wall, cpu = time.perf_counter(), cpu_seconds()
    transcribe()
    asr_wall = time.perf_counter() - wall
    faces()
    rows.append(("one after the other", time.perf_counter() - wall, cpu_seconds() - cpu))
    faces_wall = rows[0][1] - asr_wall

    wall, cpu = time.perf_counter(), cpu_seconds()
    workers = [threading.Thread(target=transcribe), threading.Thread(target=faces)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    rows.append(("side by side (two threads)", time.perf_counter() - wall, cpu_seconds() - cpu))

    print(
        f"{args.recording.name}: {whole[0][1] / 60:.1f} min; transcription alone {asr_wall:.1f} s, "
        f"faces stage alone {faces_wall:.1f} s (every sampled frame), {os.cpu_count()} CPUs"
    )
    print("| schedule | wall | CPU | wall / one after the other |")
    print("|---|---:|---:|---:|")
    for name, wall_s, cpu_s in rows:
        print(f"| {name} | {wall_s:.1f} s | {cpu_s:.1f} s | {wall_s / rows[0][1]:.2f}× |")


if __name__ == "__main__":
    main()
