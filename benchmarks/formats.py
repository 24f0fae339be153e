"""How long each output format takes to write, and how large it is, for a long meeting.

    python benchmarks/formats.py --utterances 2000 --repeat 3
    python benchmarks/formats.py --transcript meeting.json      # a real transcript instead

Generates a two-hour transcript (the report tests' generator: four speakers, word timings, all
three branches), or reads a JSON transcript, and writes it in every format through the same
writers `annotate` and `annotate convert` use. Prints, per format, the best of `--repeat` write
times (seconds) and the file's size. The machine may be shared: compare runs made together.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from annotator.export import FORMATS, extension_for, writer_for  # noqa: E402
from annotator.export.inputs import read_transcript  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--utterances", type=int, default=2000)
    parser.add_argument("--transcript", type=Path, help="a JSON transcript to write instead")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="formats-") as work:
        if args.transcript:
            transcript = read_transcript(args.transcript)
            what = str(args.transcript)
        else:
            from test_report import generated_transcript

            transcript = generated_transcript(args.utterances, Path(work) / "long.wav")
            what = f"generated, {args.utterances} utterances over two hours"
        words = sum(len(u.words) for u in transcript.utterances)
        print(f"{what}: {len(transcript.utterances)} utterances, {words} words")
        print(f"{'format':<10}{'seconds':>10}{'size (kB)':>12}")
        for fmt in FORMATS:
            path = Path(work) / f"out.{extension_for(fmt)}"
            writer = writer_for(fmt)
            best = float("inf")
            for _ in range(args.repeat):
                started = time.perf_counter()
                writer.write(transcript, path)
                best = min(best, time.perf_counter() - started)
            print(f"{fmt:<10}{best:>10.3f}{path.stat().st_size / 1000:>12.1f}")


if __name__ == "__main__":
    main()
