"""`annotate live -` on a recording played in real time: delay, CPU load, agreement with batch.

For each recording: `annotate REC -o batch.json` (the batch transcript), then the recording is
played in real time (`ffmpeg -re -i REC -c copy -f matroska -`) into
`annotate live - -o live.jsonl`, started once the live command says its models are loaded. The
benchmark follows live.jsonl and notes when each line appears. Reported:

- delay per utterance: the wall time its line appeared minus the time its end was played
  (median, 95th percentile, max);
- CPU: the CPU seconds of the live command, its ffmpeg and the player per second of stream, and
  as a share of the machine's cores;
- agreement with the batch transcript: WER of the live text against the batch text; speaker
  agreement (live utterances whose speaker, after the best one-to-one mapping of live to batch
  speakers, is the batch speaker over most of it); emotion agreement (same label as the batch
  utterance overlapping it most, calm and neutral counted as one).

    python -m benchmarks.live                            # sample_meetings/meeting.mp4
    python -m benchmarks.live --ami                      # + the 10 AMI excerpts joined (5 min)
    python -m benchmarks.live REC [REC ...]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

from annotator.media import ffmpeg_executable
from annotator.training.metrics import SAME_EMOTION, word_error_rate

REPO = Path(__file__).resolve().parents[1]
MEETING = REPO / "sample_meetings" / "meeting.mp4"
AMI = REPO.parent / "shared" / "media" / "audio" / "ami-excerpts"


def annotate_batch(recording: Path, out: Path) -> dict:
    subprocess.run(
        [sys.executable, "-m", "annotator.cli", str(recording), "-o", str(out), "-q"],
        check=True,
    )
    return json.loads(out.read_text())


def play_live(recording: Path, folder: Path) -> tuple[list[dict], list[float], float, float]:
    """The live records, when each appeared (seconds after the stream started), the stream's
    start (monotonic) and the live command's CPU seconds."""
    out = folder / "live.jsonl"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    live = subprocess.Popen(
        [sys.executable, "-m", "annotator.cli", "live", "-", "-o", str(out)],
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert live.stderr is not None
    for line in live.stderr:  # wait for the models: the stream starts when they are loaded
        if line.startswith("annotate: reading"):
            break
        sys.stderr.write(line)
    else:
        raise SystemExit(f"annotate live ended before reading (exit {live.wait()})")
    errors: list[str] = []
    threading.Thread(target=lambda: errors.extend(live.stderr), daemon=True).start()
    player = subprocess.Popen(
        [ffmpeg_executable(), "-hide_banner", "-loglevel", "error", "-re", "-i", str(recording)]
        # Packets copied as a camera or recorder sends them: re-encoding here (x264's
        # look-ahead) would add about 2 s before annotate sees the audio. Small clusters,
        # flushed at once, as a live muxer sends them.
        + ["-c", "copy", "-cluster_time_limit", "100", "-flush_packets", "1"]
        + ["-f", "matroska", "-"],
        stdout=live.stdin,
    )
    started = time.monotonic()
    assert live.stdin is not None
    live.stdin.close()  # the player holds the pipe now
    seen: list[float] = []
    while live.poll() is None:
        lines = out.read_bytes().count(b"\n") if out.exists() else 0
        seen += [time.monotonic() - started] * (lines - len(seen))
        time.sleep(0.05)
    player.wait()
    lines = out.read_bytes().count(b"\n")
    seen += [time.monotonic() - started] * (lines - len(seen))
    if live.returncode != 0:
        raise SystemExit(f"annotate live failed ({live.returncode}): {''.join(errors)}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    records = [json.loads(line) for line in out.read_text().splitlines()]
    return records, seen, started, cpu


def overlap(a: dict, b: dict) -> float:
    return max(0.0, min(a["end"], b["end"]) - max(a["start"], b["start"]))


def agreement(live: list[dict], batch: list[dict]) -> dict[str, float]:
    text = " ".join(u["text"] for u in sorted(live, key=lambda u: u["start"]))
    reference = " ".join(u["text"] for u in sorted(batch, key=lambda u: u["start"]))
    matched = [(u, max(batch, key=lambda b: overlap(u, b))) for u in live if batch]
    matched = [(u, b) for u, b in matched if overlap(u, b) > 0]
    live_ids = sorted({u["speaker"] for u in live if u["speaker"]})
    batch_ids = sorted({b["speaker"] for b in batch if b["speaker"]})
    speakers = float("nan")
    if live_ids and batch_ids:
        time_together = np.zeros((len(live_ids), len(batch_ids)))
        for u in live:
            for b in batch:
                if u["speaker"] and b["speaker"]:
                    time_together[live_ids.index(u["speaker"]), batch_ids.index(b["speaker"])] += (
                        overlap(u, b)
                    )
        rows, columns = linear_sum_assignment(-time_together)
        mapped = {live_ids[r]: batch_ids[c] for r, c in zip(rows, columns, strict=True)}
        speakers = float(np.mean([mapped.get(u["speaker"]) == b["speaker"] for u, b in matched]))

    def label(u: dict) -> str | None:
        found = u.get("emotion")  # a transcript's {"label": ...}, a truth file's label
        found = found.get("label") if isinstance(found, dict) else found
        return SAME_EMOTION.get(found, found)

    emotions = float(np.mean([label(u) == label(b) for u, b in matched])) if matched else 0.0
    return {
        "wer": word_error_rate(reference, text),
        "speaker_agreement": speakers,
        "emotion_agreement": emotions,
        "matched": len(matched),
        "live_speakers": len({u["speaker"] for u in live}),
        "batch_speakers": len({b["speaker"] for b in batch}),
    }


def measure(recording: Path, folder: Path) -> dict:
    batch = annotate_batch(recording, folder / "batch.json")
    records, seen, _, cpu = play_live(recording, folder)
    stream = float(batch["source"]["duration"])
    delays = [t - r["end"] for r, t in zip(records, seen, strict=True)]
    truth_path = recording.with_suffix(".truth.json")
    against_truth = {}
    if truth_path.is_file():  # the sample meeting: both transcripts scored against the truth
        truth = json.loads(truth_path.read_text())["utterances"]
        for name, utterances in (("live", records), ("batch", batch["utterances"])):
            found = agreement(utterances, truth)
            against_truth[f"truth_{name}"] = {
                k: round(found[k], 3) for k in ("wer", "speaker_agreement", "emotion_agreement")
            }
    return {
        "recording": recording.name,
        "seconds": round(stream, 1),
        "utterances": {"live": len(records), "batch": len(batch["utterances"])},
        "delay_median": round(float(np.median(delays)), 2) if delays else None,
        "delay_p95": round(float(np.percentile(delays, 95)), 2) if delays else None,
        "delay_max": round(float(max(delays)), 2) if delays else None,
        "cpu_per_stream_second": round(cpu / stream, 2),
        "cpu_share_of_cores": round(cpu / stream / (os.cpu_count() or 1), 2),
        **{
            k: round(v, 3) if isinstance(v, float) else v
            for k, v in agreement(records, batch["utterances"]).items()
        },
        **against_truth,
    }


def joined_ami(folder: Path) -> Path:
    """The ten 30 s AMI excerpts one after another: a 5-minute real-meeting recording."""
    excerpts = sorted(AMI.glob("trn*.flac"))
    listing = folder / "ami.txt"
    listing.write_text("".join(f"file '{p}'\n" for p in excerpts))
    out = folder / "ami-joined.flac"
    subprocess.run(
        [ffmpeg_executable(), "-hide_banner", "-loglevel", "error", "-y", "-f", "concat"]
        + ["-safe", "0", "-i", str(listing), str(out)],
        check=True,
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("recordings", nargs="*", type=Path)
    parser.add_argument("--ami", action="store_true", help="also the joined AMI excerpts")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="live-bench-") as tmp:
        recordings = list(args.recordings) or [MEETING]
        if args.ami:
            recordings.append(joined_ami(Path(tmp)))
        for index, recording in enumerate(recordings):
            folder = Path(tmp) / str(index)
            folder.mkdir()
            print(json.dumps(measure(recording, folder)), flush=True)


if __name__ == "__main__":
    main()
