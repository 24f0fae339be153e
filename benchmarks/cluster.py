"""Throughput of a folder with several workers against the plain run: on a local Ray runtime
(`--ray local --jobs N`) or in local worker processes (`--local`: `--jobs N --threads 1`).

    python benchmarks/cluster.py --count 6 --seconds 6 --jobs 2
    python benchmarks/cluster.py --local --count 8 --seconds 6 --jobs 2

Cuts `--count` pieces of `--seconds` each from sample_meetings/meeting.mp4 (real speech and
faces) into a folder under `--work`, then runs `annotate FOLDER -o OUT -q` twice, each in a fresh
process with fresh outputs: plainly, then with the workers. Both times are end to end,
as a user waits for them: start-up (Ray's runtime, loading the models) included. "first output"
is when the first output was written (mostly start-up), "first to last" the time from the first
output written to the last, a view of the throughput once the workers run. The machine may be
shared, so the load average is printed with each run and the ratio comes from runs made one after
the other.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "sample_meetings" / "meeting.mp4"


@dataclass
class Run:
    name: str
    wall: float  # seconds, end to end
    first: float  # seconds from the start to the first output written
    first_to_last: float  # seconds from the first output written to the last
    files: int
    load: float  # 1-minute load average when the run started


def cut_recordings(folder: Path, count: int, seconds: float) -> list[Path]:
    """`count` evenly spaced pieces of the sample meeting, cached in `folder`."""
    from annotator.media import ffmpeg_executable, probe

    folder.mkdir(parents=True, exist_ok=True)
    duration = probe(SOURCE).duration or 0.0
    step = (duration - seconds) / max(1, count - 1)
    paths = []
    for index in range(count):
        path = folder / f"piece{index:02d}.mp4"
        if not path.exists():
            subprocess.run(
                [ffmpeg_executable(), "-nostdin", "-loglevel", "error", "-y",
                 "-ss", f"{index * step:.2f}", "-t", f"{seconds}", "-i", str(SOURCE), str(path)],
                check=True,
            )  # fmt: skip
        paths.append(path)
    return paths


def measure(name: str, folder: Path, out: Path, extra: list[str]) -> Run:
    shutil.rmtree(out, ignore_errors=True)
    command = [sys.executable, "-m", "annotator.cli", str(folder), "-o", str(out), "-q", *extra]
    load = os.getloadavg()[0]
    started = time.time()
    result = subprocess.run(command, capture_output=True, text=True)
    wall = time.time() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr}")
    written = sorted(p.stat().st_mtime for p in out.rglob("*.json"))
    return Run(name, wall, written[0] - started, written[-1] - written[0], len(written), load)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=6, help="recordings in the folder")
    parser.add_argument("--seconds", type=float, default=6.0, help="length of each recording")
    parser.add_argument("--jobs", type=int, default=2, help="workers")
    parser.add_argument(
        "--local", action="store_true", help="worker processes here (--jobs N) instead of Ray"
    )
    parser.add_argument("--work", type=Path, default=Path("/tmp/annotator-cluster-bench"))
    parser.add_argument("annotate_args", nargs="*", help="more annotate options, after --")
    args = parser.parse_args()

    folder = args.work / f"in-{args.count}x{args.seconds:g}s"
    cut_recordings(folder, args.count, args.seconds)
    runs = [
        measure("plain", folder, args.work / "out-plain", args.annotate_args),
    ]
    if args.local:
        workers = ["--jobs", str(args.jobs), "--threads", "1"]
    else:
        workers = ["--ray", "local", "--jobs", str(args.jobs)]
    out = args.work / ("out-jobs" if args.local else "out-ray")
    runs.append(measure(" ".join(workers), folder, out, [*workers, *args.annotate_args]))
    first = next((args.work / "out-plain").glob("*.json"))
    asr = json.loads(first.read_text())["models"]["asr"]
    print(f"{args.count} recordings of {args.seconds:g} s, {os.cpu_count()} CPUs, {asr}")
    print(
        f"{'run':28} {'wall s':>8} {'files/min':>10} {'first output s':>15} "
        f"{'first to last s':>16} {'load':>6}"
    )
    for run in runs:
        rate = 60 * run.files / run.wall
        print(
            f"{run.name:28} {run.wall:8.1f} {rate:10.1f} {run.first:15.1f} "
            f"{run.first_to_last:16.1f} {run.load:6.2f}"
        )
    plain, parallel = runs
    ratio = plain.wall / parallel.wall
    print(f"throughput ratio ({parallel.name} / plain, end to end): {ratio:.2f}")


if __name__ == "__main__":
    main()
