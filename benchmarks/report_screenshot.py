"""Screenshot of a transcript's HTML report, as users first see it (docs/report.png).

    annotate sample_meetings/meeting.mp4 -o /tmp/meeting.json
    python benchmarks/report_screenshot.py /tmp/meeting.json -o docs/report.png

Renders the report next to a temporary folder (the player links the recording by its relative
path), opens it in headless Chromium (Debian's `chromium`; `.ci/install-browser`) at the moment
given by `--at` (the report's `#t=` link: that utterance highlighted, the video on its frame),
and saves the viewport as PNG. Chromium runs offline with its background networking off.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from annotator.report import write_report  # noqa: E402
from benchmarks.browser import CHROMIUM_FLAGS  # noqa: E402  (the offline Chromium settings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("transcript", type=Path, help="a JSON transcript written by annotate")
    parser.add_argument("-o", "--output", type=Path, default=ROOT / "docs" / "report.png")
    parser.add_argument("--media", type=Path, help="the recording (default: the JSON's source)")
    parser.add_argument(
        "--at",
        type=float,
        help="seconds into the recording (default: the start of the sixth utterance)",
    )
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=800)
    args = parser.parse_args()

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("report_screenshot: chromium is not installed (run .ci/install-browser)")
    at = args.at
    if at is None:
        utterances = json.loads(args.transcript.read_text(encoding="utf-8"))["utterances"]
        at = utterances[min(5, len(utterances) - 1)]["start"] + 0.3 if utterances else 0.0

    with tempfile.TemporaryDirectory(prefix="report-shot-") as work:
        page = write_report(args.transcript, Path(work) / "report.html", media=args.media)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        command = [
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={Path(work) / 'profile'}",
            f"--window-size={args.width},{args.height}",
            # Time for the video to load and show its frame before the picture is taken.
            "--virtual-time-budget=5000",
            f"--screenshot={args.output.resolve()}",
            f"{page.resolve().as_uri()}#t={at:.2f}",
        ]
        subprocess.run(command, check=True, capture_output=True, timeout=120)
    print(f"wrote {args.output} ({args.width}x{args.height}, at {at:.2f} s)")


if __name__ == "__main__":
    main()
