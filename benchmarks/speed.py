"""Speed and memory benchmark: transcription alone against the full pipeline.

    python benchmarks/speed.py --minutes 10 60 --openai-max-minutes 10 --out bench.md

Builds (once, cached under `--work`) a 720p 25 fps talking-head meeting of each length from
`sample_meetings/meeting.mp4`, or takes a recording given with `--input`. Each configuration
runs in a fresh Python process, so its peak memory is that process's own peak RSS:

- `faster-whisper`: probe + decode the audio + transcribe, with the pipeline's options;
- `openai-whisper`: the same with the openai-whisper engine (only up to `--openai-max-minutes`,
  it is several times slower on a CPU);
- `pipeline`: `Annotator(Options()).annotate(path)` and writing the JSON transcript, with the
  emotion stage when its shipped weights exist (`--emotion auto`).

Wall and CPU time cover the work on the recording, not loading the models (shown apart as
"load"). CPU time is user + system of the Python process and of the ffmpeg processes it ran.
The machine may be shared: the ratios between configurations are measured in the same run, so
they are what to compare across machines, not the absolute times.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "sample_meetings" / "meeting.mp4"
WEIGHTS = ROOT / "annotator" / "emotion" / "weights"
EMOTION_WEIGHTS = (WEIGHTS / "speech_emotion.npz", WEIGHTS / "face_emotion.pt")

CONFIGS = ("faster-whisper", "pipeline", "openai-whisper")  # run order for each recording
STAGES = ("decode", "transcribe", "speakers", "faces", "emotion", "write", "other")

# Targets (2-core machine, bundled tiny.en).
MAX_PIPELINE_OVER_ASR = 1.3
MIN_REAL_TIME_FACTOR = 10.0
MAX_PEAK_BYTES = 1.2e9
MAX_MEMORY_GROWTH = 0.20
MAX_HELP_SECONDS = 1.0

WIDTH, HEIGHT, FPS, CRF = 1280, 720, 25, 26


# --------------------------------------------------------------------------- measurements


@dataclass
class Measurement:
    """One configuration on one recording, as measured inside its own process."""

    config: str
    recording: str
    duration: float  # seconds of recording
    load: float  # seconds to load the models (not in wall)
    wall: float  # seconds of work on the recording
    cpu: float  # user + system seconds of the process and its ffmpeg children, during `wall`
    peak_rss: int  # bytes, the Python process's ru_maxrss
    ffmpeg_peak_rss: int  # bytes, the largest ffmpeg child's ru_maxrss
    stages: dict[str, float] = field(default_factory=dict)  # seconds per stage
    utterances: int = 0
    words: int = 0
    emotion: bool = False
    frames_sampled: int = 0  # frames the faces stage looked at (pipeline only)

    @property
    def real_time_factor(self) -> float:
        return self.duration / self.wall if self.wall else float("inf")


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and of the children it has waited for."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class Stages:
    """Accumulates seconds per named stage."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started


def transcribe_alone(engine_name: str, recording: Path, threads: int) -> Measurement:
    """Decode + transcribe, the pipeline's first two stages, with its default options."""
    from annotator.options import Options
    from annotator.pipeline import Annotator

    started = time.perf_counter()
    annotator = Annotator(
        Options(engine=engine_name, threads=threads, emotion=False, diarize=False)
    )
    load = time.perf_counter() - started

    stage = Stages()
    cpu_before, started = cpu_seconds(), time.perf_counter()
    with stage("decode"):
        info, audio = annotator.decode(recording)
    with stage("transcribe"):
        asr = annotator.transcribe(audio)
        utterances = annotator.utterances(audio, asr, None)
    wall = time.perf_counter() - started
    return Measurement(
        config=engine_name,
        recording=recording.name,
        duration=info.duration or audio.duration,
        load=load,
        wall=wall,
        cpu=cpu_seconds() - cpu_before,
        peak_rss=0,
        ffmpeg_peak_rss=0,
        stages=stage.seconds,
        utterances=len(utterances),
        words=sum(len(u.words) for u in utterances),
    )


def full_pipeline(recording: Path, threads: int, emotion: bool, out_dir: Path) -> Measurement:
    """`Annotator(Options()).annotate(path)` and writing its JSON, as `annotate` does."""
    from annotator.export import writer_for
    from annotator.pipeline import Annotator, Options

    started = time.perf_counter()
    annotator = Annotator(Options(threads=threads, emotion=emotion))
    load = time.perf_counter() - started

    stage = Stages()
    cpu_before, started = cpu_seconds(), time.perf_counter()
    result = annotator.annotate(recording)
    with stage("write"):
        writer_for("json").write(result.transcript, out_dir / f"{recording.stem}.json")
    wall = time.perf_counter() - started
    stages = {**result.timings, **stage.seconds}
    if "save-clips" in stages:  # not used here, but keep its time visible if it ever is
        stages["write"] += stages.pop("save-clips")
    transcript = result.transcript
    return Measurement(
        config="pipeline",
        recording=recording.name,
        duration=transcript.source.duration,
        load=load,
        wall=wall,
        cpu=cpu_seconds() - cpu_before,
        peak_rss=0,
        ffmpeg_peak_rss=0,
        stages=stages,
        utterances=len(transcript.utterances),
        words=sum(len(u.words) for u in transcript.utterances),
        emotion=emotion,
        frames_sampled=sum(u.face_frames.sampled for u in transcript.utterances if u.face_frames),
    )


def worker(config: str, recording: Path, threads: int, emotion: bool, result: Path) -> None:
    """Child process: run one configuration and write its Measurement as JSON."""
    if config == "pipeline":
        measurement = full_pipeline(recording, threads, emotion, result.parent)
    else:
        measurement = transcribe_alone(config, recording, threads)
    stages = measurement.stages
    stages["other"] = max(0.0, measurement.wall - sum(stages.values()))
    # Linux reports ru_maxrss in KiB.
    measurement.peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    measurement.ffmpeg_peak_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    result.write_text(json.dumps(asdict(measurement)))


def measure(config: str, recording: Path, threads: int, emotion: bool, work: Path) -> Measurement:
    """Run one configuration in a fresh process and read back what it measured."""
    with tempfile.TemporaryDirectory(dir=work, prefix="run-") as folder:
        result = Path(folder) / "result.json"
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--worker",
            config,
            "--input",
            str(recording),
            "--threads",
            str(threads),
            "--emotion",
            "on" if emotion else "off",
            "--result",
            str(result),
        ]
        subprocess.run(command, check=True, cwd=ROOT)
        return Measurement(**json.loads(result.read_text()))


def help_seconds(runs: int = 5) -> float:
    """Median wall time of `annotate --help` in a fresh process."""
    script = Path(sys.executable).with_name("annotate")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "annotator.cli"]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([*command, "--help"], check=True, capture_output=True, cwd=ROOT)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


# --------------------------------------------------------------------------- recordings


def run_ffmpeg(arguments: Sequence[str]) -> None:
    from annotator.media import ffmpeg_executable

    command = [ffmpeg_executable(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
    subprocess.run([*command, *arguments], check=True)


def build_recording(minutes: float, work: Path) -> Path:
    """A 720p 25 fps meeting of `minutes`, looping the sample meeting; cached in `work`.

    The 46 s sample is upscaled and encoded once (H.264, veryfast); longer recordings loop that
    encoding with `-stream_loop` and stream copy, which gives the same bitstream as re-encoding
    the looped source without minutes of x264 time on a small machine.
    """
    unit = work / f"meeting-{HEIGHT}p-unit.mp4"
    if not unit.exists():
        partial = unit.with_suffix(".part.mp4")
        run_ffmpeg(
            [
                "-i", str(SOURCE),
                "-vf", f"scale={WIDTH}:{HEIGHT}:flags=bicubic,fps={FPS}",
                "-c:v", "libx264", "-preset", "veryfast", "-crf", str(CRF),
                "-pix_fmt", "yuv420p",
                "-c:a", "copy",
                "-movflags", "+faststart",
                str(partial),
            ]
        )  # fmt: skip
        partial.replace(unit)
    target = work / f"meeting-{HEIGHT}p-{minutes:g}min.mp4"
    if not target.exists():
        partial = target.with_suffix(".part.mp4")
        run_ffmpeg(
            [
                "-stream_loop", "-1", "-i", str(unit),
                "-t", f"{minutes * 60:.3f}",
                "-c", "copy",
                "-movflags", "+faststart",
                str(partial),
            ]
        )  # fmt: skip
        partial.replace(target)
    return target


def recording_duration(path: Path) -> float:
    from annotator.media import probe

    duration = probe(path).duration
    if duration is None:
        raise SystemExit(f"{path}: no duration")
    return duration


# --------------------------------------------------------------------------- profile


def ffmpeg_frames_cost(recording: Path, extra: Sequence[str], width: int, fps: float) -> float:
    """Wall seconds for ffmpeg to deliver the pipeline's sampled frames, with `extra` options
    placed before the input (decoder options such as -skip_frame or -threads)."""
    from annotator.media import ffmpeg_executable, frame_size, probe

    out_width, out_height = frame_size(probe(recording), width)
    command = [
        ffmpeg_executable(), "-nostdin", "-hide_banner", "-loglevel", "error",
        *extra, "-i", str(recording),
        "-vf", f"setpts=PTS-STARTPTS,fps={fps},scale={out_width}:{out_height}",
        "-f", "rawvideo", "-pix_fmt", "bgr24", "-",
    ]  # fmt: skip
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def detection_cost(recording: Path, frames: int = 120) -> tuple[float, float]:
    """(seconds per sampled frame for YuNet detection + crops, the same for frame delivery)
    measured on `frames` frames from the start of the recording."""
    from annotator import media
    from annotator.faces import FaceDetector, crop_face
    from annotator.options import Options

    options = Options()
    detector = FaceDetector(detect_width=options.detect_width)
    info = media.probe(recording)
    collected = []
    started = time.perf_counter()
    for _, frame in media.stream_frames(info, options.face_fps, options.frame_width):
        collected.append(frame.copy())
        if len(collected) == frames:
            break
    delivery = (time.perf_counter() - started) / len(collected)
    for frame in collected[:5]:  # warm-up
        detector.detect(frame)
    started = time.perf_counter()
    for frame in collected:
        for detection in detector.detect(frame):
            crop_face(frame, detection)
    return (time.perf_counter() - started) / len(collected), delivery


def profile_faces(recording: Path, duration: float, frames_sampled: int | None) -> list[str]:
    """Markdown lines: what the faces stage costs, split into video decoding and detection, and
    what ffmpeg decoder options would save. Each variant decodes the whole recording once."""
    from annotator.options import Options

    options = Options()
    variants = {
        "pipeline's command (all frames decoded, then sampled)": [],
        "`-threads 1` (one decoding thread)": ["-threads", "1"],
        "`-skip_frame noref` (skip non-reference frames)": ["-skip_frame", "noref"],
        "`-skip_frame nokey` (keyframes only)": ["-skip_frame", "nokey"],
    }
    lines = [
        f"Faces stage on `{recording.name}` ({duration / 60:.1f} min), "
        f"face_fps {options.face_fps}, frame_width {options.frame_width}, "
        f"detect_width {options.detect_width}:",
        "",
        "| what | wall | per recording minute |",
        "|---|---:|---:|",
    ]
    for name, extra in variants.items():
        try:
            seconds = ffmpeg_frames_cost(recording, extra, options.frame_width, options.face_fps)
        except subprocess.CalledProcessError:
            lines.append(f"| ffmpeg frames: {name} | failed | |")
            continue
        per_minute = seconds / duration * 60
        lines.append(f"| ffmpeg frames: {name} | {seconds:.1f} s | {per_minute:.2f} s |")
        print(f"  profile: {name}: {seconds:.1f} s", file=sys.stderr)
    per_frame, delivery = detection_cost(recording)
    sampled = frames_sampled if frames_sampled else duration * options.face_fps
    what = "sampled in speech by the pipeline" if frames_sampled else "the whole recording"
    lines.append(
        f"| YuNet detection + crops: {per_frame * 1000:.1f} ms per frame × {sampled:.0f} frames "
        f"({what}) | {per_frame * sampled:.1f} s | {per_frame * sampled / duration * 60:.2f} s |"
    )
    lines.append(
        f"| (frame delivery into Python, first 120 frames: {delivery * 1000:.1f} ms each) | | |"
    )
    return lines


# --------------------------------------------------------------------------- report


def fmt_bytes(value: float) -> str:
    return f"{value / 1e9:.2f} GB" if value >= 1e9 else f"{value / 1e6:.0f} MB"


def fmt_minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"


def verdict(ok: bool, miss: str = "") -> str:
    return "PASS" if ok else f"MISS{(' ' + miss) if miss else ''}"


def results_table(measurements: Sequence[Measurement]) -> list[str]:
    lines = [
        "| configuration | recording | load | wall | CPU | peak RSS | × real time | "
        "decode | transcribe | speakers | faces | emotion | write | other |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for m in measurements:
        name = m.config
        if m.config == "pipeline":
            name += " (emotion on)" if m.emotion else " (emotion off)"
        shares = []
        for stage in STAGES:
            seconds = m.stages.get(stage)
            shares.append("—" if seconds is None else f"{seconds / m.wall:.0%}")
        lines.append(
            f"| {name} | {fmt_minutes(m.duration)} | {m.load:.1f} s | {m.wall:.1f} s | "
            f"{m.cpu:.1f} s | {fmt_bytes(m.peak_rss)} | {m.real_time_factor:.1f}× | "
            + " | ".join(shares)
            + " |"
        )
    return lines


def growth_verdict(growth: float) -> str:
    return verdict(
        growth < MAX_MEMORY_GROWTH, f"by {(growth - MAX_MEMORY_GROWTH) * 100:.0f} points"
    )


def extrapolated_growth(config: str, short: Measurement, long: Measurement) -> str:
    """Peak RSS at 10 and 60 minutes, extrapolated linearly from two measured lengths."""
    slope = (long.peak_rss - short.peak_rss) / (long.duration - short.duration)  # bytes/second
    at_10, at_60 = (short.peak_rss + slope * (s - short.duration) for s in (600.0, 3600.0))
    growth = at_60 / at_10 - 1
    return (
        f"| peak-RSS growth, {config}, 10 → 60 min, extrapolated linearly "
        f"({slope * 60 / 1e6:.1f} MB per recording minute) | {growth:+.0%} "
        f"({fmt_bytes(at_10)} → {fmt_bytes(at_60)}) | < {MAX_MEMORY_GROWTH:+.0%} | "
        f"{growth_verdict(growth)} |"
    )


def ratio_table(measurements: Sequence[Measurement], help_time: float | None) -> list[str]:
    by_key = {(m.config, m.recording): m for m in measurements}
    recordings = list(dict.fromkeys(m.recording for m in measurements))
    lines = ["| check | measured | target | result |", "|---|---:|---:|---|"]
    for recording in recordings:
        fw = by_key.get(("faster-whisper", recording))
        full = by_key.get(("pipeline", recording))
        ow = by_key.get(("openai-whisper", recording))
        length = fmt_minutes((fw or full or ow).duration)  # type: ignore[union-attr]
        if fw and full:
            ratio = full.wall / fw.wall
            lines.append(
                f"| full pipeline / faster-whisper transcription, {length} | {ratio:.2f}× wall "
                f"({full.cpu / fw.cpu:.2f}× CPU) | ≤ {MAX_PIPELINE_OVER_ASR}× | "
                f"{verdict(ratio <= MAX_PIPELINE_OVER_ASR, f'by {ratio / MAX_PIPELINE_OVER_ASR - 1:.0%}')} |"  # noqa: E501
            )
        if full:
            rtf = full.real_time_factor
            lines.append(
                f"| full pipeline real-time factor, {length} | {rtf:.1f}× | "
                f"≥ {MIN_REAL_TIME_FACTOR:.0f}× | "
                f"{verdict(rtf >= MIN_REAL_TIME_FACTOR, f'by {1 - rtf / MIN_REAL_TIME_FACTOR:.0%}')} |"  # noqa: E501
            )
        if fw and ow:
            lines.append(
                f"| faster-whisper vs openai-whisper, {length} | faster-whisper "
                f"{ow.wall / fw.wall:.1f}× faster ({ow.cpu / fw.cpu:.1f}× less CPU) | — | info |"
            )
    for config in CONFIGS:
        runs = [m for m in measurements if m.config == config]
        if not runs:
            continue
        peak = max(runs, key=lambda m: m.peak_rss)
        ok = peak.peak_rss < MAX_PEAK_BYTES
        lines.append(
            f"| peak RSS, {config}, {fmt_minutes(peak.duration)} | {fmt_bytes(peak.peak_rss)} | "
            f"< {fmt_bytes(MAX_PEAK_BYTES)} | "
            f"{verdict(ok, f'by {peak.peak_rss / MAX_PEAK_BYTES - 1:.0%}')} |"
        )
        if len(runs) > 1:
            short, long = min(runs, key=lambda m: m.duration), max(runs, key=lambda m: m.duration)
            growth = long.peak_rss / short.peak_rss - 1
            lines.append(
                f"| peak-RSS growth, {config}, {fmt_minutes(short.duration)} → "
                f"{fmt_minutes(long.duration)} | {growth:+.0%} "
                f"({fmt_bytes(short.peak_rss)} → {fmt_bytes(long.peak_rss)}) | "
                f"< {MAX_MEMORY_GROWTH:+.0%} | "
                f"{growth_verdict(growth)} |"
            )
            if (short.duration, long.duration) != (600.0, 3600.0):
                lines.append(extrapolated_growth(config, short, long))
    if help_time is not None:
        lines.append(
            f"| `annotate --help`, median of 5 | {help_time:.2f} s | < {MAX_HELP_SECONDS:.0f} s | "
            f"{verdict(help_time < MAX_HELP_SECONDS, f'by {help_time / MAX_HELP_SECONDS - 1:.0%}')} |"  # noqa: E501
        )
    return lines


def machine_line() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return f"{os.cpu_count()} CPU cores ({model}); load average {load}"


def threading_environment() -> str:
    """The OpenMP / BLAS thread settings in effect (they change the timings), if any."""
    names = sorted(
        name
        for name in os.environ
        if name.startswith(("OMP_", "GOMP_", "KMP_")) or name.endswith("_NUM_THREADS")
    )
    return ", ".join(f"`{name}={os.environ[name]}`" for name in names)


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--minutes", type=float, nargs="+", default=[10.0, 60.0],
        help="lengths of the generated 720p meetings (default: 10 60)",
    )  # fmt: skip
    parser.add_argument("--input", type=Path, help="benchmark this recording instead")
    parser.add_argument(
        "--work", type=Path, default=Path(tempfile.gettempdir()) / "annotator-bench",
        help="folder for the generated recordings (kept and reused) and outputs",
    )  # fmt: skip
    parser.add_argument(
        "--openai-max-minutes", type=float, default=10.0,
        help="run openai-whisper only on recordings up to this long (default 10)",
    )  # fmt: skip
    parser.add_argument(
        "--emotion", choices=("auto", "on", "off"), default="auto",
        help="emotion stage in the full pipeline; auto: on when its shipped weights exist",
    )  # fmt: skip
    parser.add_argument(
        "--configs", nargs="+", choices=CONFIGS, default=list(CONFIGS),
        help="configurations to run (default: all)",
    )  # fmt: skip
    parser.add_argument("--threads", type=int, default=0, help="Options.threads (0 = default)")
    parser.add_argument(
        "--profile", action="store_true",
        help="also split the faces stage into video decoding and detection, on the shortest "
        "recording, and time ffmpeg decoder options",
    )  # fmt: skip
    parser.add_argument("--out", type=Path, help="also write the markdown report here")
    parser.add_argument("--worker", choices=CONFIGS, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    # What the `annotate` command sets before its libraries load (see annotator/cli.py), so the
    # benchmark measures what a user gets.
    from annotator.runtime import set_runtime_environment

    set_runtime_environment()
    if args.worker:
        worker(args.worker, args.input, args.threads, args.emotion == "on", args.result)
        return

    started = time.perf_counter()
    args.work.mkdir(parents=True, exist_ok=True)
    weights_present = all(path.is_file() for path in EMOTION_WEIGHTS)
    emotion = args.emotion == "on" or (args.emotion == "auto" and weights_present)
    machine_before = machine_line()

    if args.input:
        recordings = [args.input.resolve()]
    else:
        recordings = []
        for minutes in sorted(args.minutes):
            print(f"recording: {minutes:g} min …", file=sys.stderr)
            recordings.append(build_recording(minutes, args.work))

    measurements: list[Measurement] = []
    notes: list[str] = []
    for recording in recordings:
        duration = recording_duration(recording)
        for config in [c for c in CONFIGS if c in args.configs]:
            if config == "openai-whisper" and duration > args.openai_max_minutes * 60 + 1:
                notes.append(
                    f"openai-whisper skipped on the {fmt_minutes(duration)} recording "
                    f"(`--openai-max-minutes {args.openai_max_minutes:g}`)."
                )
                continue
            print(f"{config} on {recording.name} …", file=sys.stderr)
            m = measure(config, recording, args.threads, emotion, args.work)
            print(
                f"  wall {m.wall:.1f} s, CPU {m.cpu:.1f} s, peak {fmt_bytes(m.peak_rss)}, "
                f"{m.real_time_factor:.1f}x real time, {m.utterances} utterances",
                file=sys.stderr,
            )
            measurements.append(m)
            with (args.work / "measurements.jsonl").open("a") as log:  # survives a crash later
                log.write(json.dumps(asdict(m)) + "\n")

    print("annotate --help …", file=sys.stderr)
    help_time = help_seconds()
    profile: list[str] = []
    if args.profile:
        shortest = min(recordings, key=recording_duration)
        sampled = next(
            (m.frames_sampled for m in measurements
             if m.config == "pipeline" and m.recording == shortest.name),
            None,
        )  # fmt: skip
        profile = profile_faces(shortest, recording_duration(shortest), sampled)

    if not emotion:
        why = "its weights are not in annotator/emotion/weights/" if not weights_present else ""
        notes.append(f"Emotion stage **off** in the full pipeline{f' ({why})' if why else ''}.")
    command = "python benchmarks/speed.py " + shlex.join(argv if argv is not None else sys.argv[1:])
    source = (
        f"`{recordings[0].name}`"
        if args.input
        else f"720p {FPS} fps H.264 (x264 veryfast, CRF {CRF}) loops of sample_meetings/meeting.mp4"
    )
    lines = [
        f"`{command}`",
        "",
        f"Machine: {machine_before} at the start, {machine_line().split('; ')[1]} at the end. "
        f"Recording: {source}. Bundled tiny.en, default options. Wall and CPU time: work on "
        "the recording (model loading is the `load` column); CPU includes ffmpeg. Stage "
        "columns: share of the wall time."
        + (f" Environment: {threading_environment()}." if threading_environment() else ""),
        "",
        *[f"- {note}" for note in notes],
        *([""] if notes else []),
        *results_table(measurements),
        "",
        "Measured in the same run:",
        "",
        *ratio_table(measurements, help_time),
    ]
    if profile:
        lines += ["", *profile]
    lines += ["", f"Benchmark wall time: {fmt_minutes(time.perf_counter() - started)}."]
    report = "\n".join(lines) + "\n"
    print(report)
    if args.out:
        args.out.write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()
