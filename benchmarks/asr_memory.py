"""Peak memory of decoding + transcription alone, one fresh process per recording.

    python benchmarks/asr_memory.py /tmp/bench-work/meeting-720p-{3,12,24}min.mp4
    python benchmarks/asr_memory.py --root /tmp/before RECORDING...   # another checkout

The recordings are the ones `benchmarks/speed.py` builds (720p loops of the sample meeting,
`build_recording(minutes, work)`). Each runs in its own Python process: load the pipeline's
engine (`--whisper-model auto`, faster-whisper), probe, decode, transcribe; printed are the
process's peak RSS (`ru_maxrss`) after loading the models and at the end, and the wall time of
the work on the recording. `--root` runs the `annotator` package of another checkout (e.g. a
`git archive` of an older commit) for a before/after comparison.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

WORKER = """
import os, resource, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])

from annotator.runtime import set_runtime_environment  # noqa: E402

set_runtime_environment()  # the annotate command's process settings, before any library loads
from annotator import media
from annotator.asr import load_engine
engine = load_engine("faster-whisper", "auto")
loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
audio = media.decode_audio(media.probe(Path(sys.argv[2])))
result = engine.transcribe(audio.samples)
wall = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
words = sum(len(s.words) for s in result.segments)
print(f"| {Path(sys.argv[2]).name} | {loaded / 1024:.0f} MB | {peak / 1024:.0f} MB | "
      f"{wall:.1f} s | {words} |")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("recordings", nargs="+", type=Path)
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout whose code runs")
    args = parser.parse_args()
    print(f"code: {args.root}")
    print("| recording | peak RSS after loading | peak RSS | wall | words |")
    print("|---|---:|---:|---:|---:|")
    for recording in args.recordings:
        command = [sys.executable, "-c", WORKER, str(args.root.resolve()), str(recording)]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        print(done.stdout.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
