"""Compose the project's sample recordings from the real clips in ../shared/media.

    python sample_meetings/compose.py --media ../shared/media --out sample_meetings

Writes, deterministically:
- meeting.mp4 + meeting.truth.json: GRID, CREMA-D and RAVDESS talking-face clips played one after
  another (one speaker per turn, about 1 s of silence between turns), normalised to 640x360, 25 fps,
  H.264 + AAC 16 kHz mono; each clip's long leading/trailing silence is trimmed.
- call.flac (or call.wav) + call.truth.json: the pyannote two-speaker telephone sample, losslessly.

Ground-truth times come from the speech span found in each source clip (Silero VAD from
faster-whisper, refined with a frame-energy threshold), shifted by where the clip lands in the
composed file. Every cut is on a 40 ms boundary (one video frame, 640 audio samples), so the
shift is exact. Needs only numpy, imageio-ffmpeg and faster-whisper (for its bundled VAD model).
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg
import numpy as np
from faster_whisper.vad import VadOptions, get_speech_timestamps

from annotator.training.corpus_labels import CREMA_D_CODES

WIDTH, HEIGHT, FPS = 640, 360, 25
SAMPLE_RATE = 16_000
FRAME = 1 / FPS  # every cut and hold is a whole number of frames
PAD = 0.2  # seconds of the source clip kept before and after its speech span
GAP = 1.0  # seconds of non-speech between one turn's speech and the next one's
TAIL = 0.6  # seconds held after the last turn
TARGET_DB = -20.0  # speech RMS of every clip after gain, dBFS
PEAK_DB = -1.0  # no clip's peak goes above this
CRF = 25

GRID_COMMANDS = {"b": "bin", "l": "lay", "p": "place", "s": "set"}
GRID_COLOURS = {"b": "blue", "g": "green", "r": "red", "w": "white"}
GRID_PREPOSITIONS = {"a": "at", "b": "by", "i": "in", "w": "with"}
GRID_DIGITS = "zero one two three four five six seven eight nine".split()  # 'z' codes zero
GRID_ADVERBS = {"a": "again", "n": "now", "p": "please", "s": "soon"}

CREMAD_EMOTIONS = CREMA_D_CODES

# pwij3p shows the same person as id2_vcd_swwp2s (checked by eye), so both get one speaker id.
GRID_SAME_TALKER = {"pwij3p": "id2"}

# Turn order: speakers alternate and no speaker talks twice in a row.
MEETING_ORDER = [
    "grid/bbaf2n.mpg",
    "crema-d/1001_DFA_NEU_XX.flv",
    "grid/brbk7n.mpg",
    "ravdess-av/01-01-01-01-01-01-01.mp4",
    "grid/lbax4n.mpg",
    "crema-d/1001_DFA_HAP_XX.flv",
    "grid/id2_vcd_swwp2s.mpg",
    "crema-d/1001_DFA_SAD_XX.flv",
    "grid/lbbc2a.mpg",
    "ravdess-av/01-01-01-01-01-01-09.mp4",
    "grid/lrwp9a.mpg",
    "crema-d/1001_DFA_ANG_XX.flv",
    "grid/pwij3p.mpg",
    "crema-d/1001_DFA_FEA_XX.flv",
    "grid/lwbsza.mpg",
    "crema-d/1001_DFA_DIS_XX.flv",
    "grid/sbia1a.mpg",
    "grid/sbwe5n.mpg",
    "grid/swiz3n.mpg",
]

CALL_SOURCE = "audio/pyannote-sample/sample.wav"


@dataclass(frozen=True)
class Clip:
    """One source clip and what is said in it."""

    source: str  # relative to the media folder
    speaker: str
    text: str
    emotion: str | None


@dataclass(frozen=True)
class Turn:
    """A clip placed in the composed meeting. Lengths are in frames (40 ms)."""

    clip: Clip
    path: Path
    trim_start: int  # first frame of the source clip that is kept
    length: int  # frames kept from the source clip
    hold: int  # frames of held last picture and silence after it
    offset: int  # where the kept part starts in the composed file
    speech: tuple[float, float]  # speech span in the source clip, seconds
    gain_db: float


# --- what each clip says -------------------------------------------------------------------


def grid_sentence(code: str) -> str:
    """Decode a GRID file-name code, e.g. 'bbaf2n' -> 'bin blue at f two now'."""
    command, colour, prep, letter, digit, adverb = code
    return " ".join(
        [
            GRID_COMMANDS[command],
            GRID_COLOURS[colour],
            GRID_PREPOSITIONS[prep],
            letter,
            GRID_DIGITS[0 if digit == "z" else int(digit)],
            GRID_ADVERBS[adverb],
        ]
    )


def describe(source: str) -> Clip:
    """Speaker, text and emotion of a clip, from its folder and file-name convention."""
    folder, name = source.split("/")
    stem = name.rsplit(".", 1)[0]
    if folder == "grid":
        code = stem.rsplit("_", 1)[-1]
        talker = stem.split("_")[0] if "_" in stem else GRID_SAME_TALKER.get(stem, stem)
        return Clip(source, f"grid_{talker}", grid_sentence(code), "neutral")
    if folder == "crema-d":
        actor, sentence, emotion, _ = stem.split("_")
        assert sentence == "DFA", source
        return Clip(source, f"cremad_{actor}", "Don't forget a jacket", CREMAD_EMOTIONS[emotion])
    if folder == "ravdess-av":
        fields = stem.split("-")
        assert fields[2] == "01" and fields[4] == "01", "expected neutral, statement 01"
        return Clip(source, f"ravdess_{fields[6]}", "Kids are talking by the door", "neutral")
    raise ValueError(f"no description for {source}")


# --- audio analysis ------------------------------------------------------------------------


def ffmpeg() -> str:
    return imageio_ffmpeg.get_ffmpeg_exe()


def decode_audio(path: Path) -> np.ndarray:
    """The file's audio as 16 kHz mono float32 (the same downmix the composition uses)."""
    cmd = [ffmpeg(), "-v", "error", "-i", str(path), "-vn", "-ac", "1", "-ar", str(SAMPLE_RATE)]
    cmd += ["-f", "f32le", "-"]
    out = subprocess.run(cmd, capture_output=True, check=True).stdout
    return np.frombuffer(out, np.float32)


def frame_db(audio: np.ndarray, hop: int = 160) -> np.ndarray:
    """Energy in dBFS per 10 ms frame."""
    frames = audio[: len(audio) // hop * hop].reshape(-1, hop).astype(np.float64)
    return 10 * np.log10((frames**2).mean(axis=1) + 1e-12)


def vad_span(audio: np.ndarray) -> tuple[float, float]:
    """First and last second of speech according to Silero VAD (bundled with faster-whisper)."""
    options = VadOptions(threshold=0.5, min_silence_duration_ms=500, speech_pad_ms=0)
    chunks = get_speech_timestamps(audio, options)
    if not chunks:
        raise ValueError("no speech found")
    return chunks[0]["start"] / SAMPLE_RATE, chunks[-1]["end"] / SAMPLE_RATE


def loud_runs(loud: np.ndarray, max_gap: int) -> list[tuple[int, int]]:
    """[first, last) frame index of each run of loud frames, runs closer than max_gap merged."""
    idx = np.flatnonzero(loud)
    if idx.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(idx) > max_gap + 1)
    starts = np.concatenate([[idx[0]], idx[breaks + 1]])
    ends = np.concatenate([idx[breaks], [idx[-1]]]) + 1
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def speech_span(audio: np.ndarray, reach: float = 0.25) -> tuple[float, float]:
    """Speech span in seconds: the Silero VAD span, widened to the loud frames around it (above
    the leading silence's level + 8 dB and peak - 32 dB, gaps up to 50 ms bridged) no further
    than `reach` outside it. A VAD span that runs to the clip's end has not closed, so there the
    end comes from the loud frames alone. Clicks after a pause are left out."""
    start, end = vad_span(audio)
    duration = len(audio) / SAMPLE_RATE
    db = frame_db(audio)
    t = np.arange(len(db)) * 0.01
    lead = db[(t < start) & (db > -100)]  # the leading silence: no speech, no fade-out
    noise = float(np.median(lead)) if lead.size >= 20 else float(np.percentile(db, 10))
    loud = db > max(noise + 8, db.max() - 32)
    runs = [
        (a * 0.01, b * 0.01)
        for a, b in loud_runs(loud, max_gap=5)
        if a * 0.01 < end and b * 0.01 > start
    ]
    if runs:
        vad_open = end >= duration - 0.05
        start = max(start - reach, min(start, runs[0][0]))
        end = runs[-1][1] if vad_open else min(end + reach, max(end, runs[-1][1]))
    return round(start, 2), round(end, 2)


def gain_for(audio: np.ndarray, span: tuple[float, float]) -> float:
    """dB that bring the speech RMS to TARGET_DB without the peak passing PEAK_DB."""
    speech = audio[int(span[0] * SAMPLE_RATE) : int(span[1] * SAMPLE_RATE)].astype(np.float64)
    rms_db = 10 * math.log10(float((speech**2).mean()) + 1e-12)
    peak_db = 20 * math.log10(float(np.abs(audio).max()) + 1e-12)
    return round(min(TARGET_DB - rms_db, PEAK_DB - peak_db), 1)


# --- the meeting ----------------------------------------------------------------------------


def to_frames(seconds: float, rounding: str) -> int:
    value = seconds / FRAME
    return math.floor(value + 1e-9) if rounding == "floor" else math.ceil(value - 1e-9)


def plan_turns(media: Path, sources: list[str]) -> list[Turn]:
    """Where every clip is cut and where it lands, so that ~GAP s separate speech spans."""
    cuts = []
    for source in sources:
        path = media / source
        audio = decode_audio(path)
        span = speech_span(audio)
        first = max(0, to_frames(span[0] - PAD, "floor"))
        last = min(to_frames(len(audio) / SAMPLE_RATE, "floor"), to_frames(span[1] + PAD, "ceil"))
        cuts.append((describe(source), path, first, last - first, span, gain_for(audio, span)))
    turns, offset = [], 0
    for i, (clip, path, first, length, span, gain) in enumerate(cuts):
        if i + 1 < len(cuts):
            tail = (first + length) * FRAME - span[1]
            head = cuts[i + 1][4][0] - cuts[i + 1][2] * FRAME
            hold = max(5, round((GAP - tail - head) / FRAME))
        else:
            hold = round(TAIL / FRAME)
        turns.append(Turn(clip, path, first, length, hold, offset, span, gain))
        offset += length + hold
    return turns


def turn_filters(i: int, turn: Turn) -> str:
    """Filter chains that cut, normalise and extend input i to exactly length + hold frames."""
    start, end = turn.trim_start * FRAME, (turn.trim_start + turn.length) * FRAME
    total = (turn.length + turn.hold) * FRAME
    video = (
        f"[{i}:v]trim=start={start:.2f}:end={end:.2f},setpts=PTS-STARTPTS,fps={FPS},"
        f"scale={WIDTH}:{HEIGHT}:force_original_aspect_ratio=decrease,"
        f"pad={WIDTH}:{HEIGHT}:(ow-iw)/2:(oh-ih)/2,setsar=1,format=yuv420p,"
        f"tpad=stop_mode=clone:stop_duration={turn.hold * FRAME + 0.5:.2f},"
        f"trim=duration={total:.2f}[v{i}]"
    )
    audio = (
        f"[{i}:a]atrim=start={start:.2f}:end={end:.2f},asetpts=PTS-STARTPTS,"
        f"aresample={SAMPLE_RATE},aformat=sample_fmts=fltp:channel_layouts=mono,"
        f"volume={turn.gain_db}dB,apad=whole_dur={total:.2f},atrim=duration={total:.2f}[a{i}]"
    )
    return f"{video};\n{audio}"


def render_meeting(turns: list[Turn], out: Path) -> None:
    inputs = [arg for turn in turns for arg in ("-i", str(turn.path))]
    chains = [turn_filters(i, turn) for i, turn in enumerate(turns)]
    pairs = "".join(f"[v{i}][a{i}]" for i in range(len(turns)))
    graph = ";\n".join(chains) + f";\n{pairs}concat=n={len(turns)}:v=1:a=1[v][a]"
    cmd = [ffmpeg(), "-v", "error", "-y", *inputs, "-filter_complex", graph]
    cmd += ["-map", "[v]", "-map", "[a]", "-c:v", "libx264", "-preset", "medium"]
    cmd += ["-crf", str(CRF), "-pix_fmt", "yuv420p", "-g", str(2 * FPS), "-threads", "2"]
    cmd += ["-c:a", "aac", "-b:a", "48k", "-ar", str(SAMPLE_RATE), "-ac", "1"]
    cmd += ["-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact"]
    cmd += ["-flags:a", "+bitexact", "-movflags", "+faststart", str(out)]
    subprocess.run(cmd, check=True)


def meeting_truth(turns: list[Turn], recording: str) -> dict:
    utterances = []
    for turn in turns:
        shift = (turn.offset - turn.trim_start) * FRAME
        clip = turn.clip
        utterances.append(
            {
                "start": round(turn.speech[0] + shift, 3),
                "end": round(turn.speech[1] + shift, 3),
                "speaker": clip.speaker,
                "text": clip.text,
                "source": clip.source,
                "emotion": clip.emotion,
            }
        )
    last = turns[-1]
    duration = (last.offset + last.length + last.hold) * FRAME
    return {"recording": recording, "duration": round(duration, 3), "utterances": utterances}


# --- the call -------------------------------------------------------------------------------


def read_rttm(path: Path) -> list[tuple[float, float, str]]:
    """(start, end, speaker) per SPEAKER line."""
    turns = []
    for line in path.read_text().splitlines():
        fields = line.split()
        if fields and fields[0] == "SPEAKER":
            start, length = float(fields[3]), float(fields[4])
            turns.append((start, start + length, fields[7]))
    return turns


def read_stm(path: Path) -> list[tuple[float, float, str, str]]:
    """(start, end, speaker, text) per line: `file channel speaker start end text...`."""
    segments = []
    for line in path.read_text().splitlines():
        fields = line.split(maxsplit=5)
        if len(fields) == 6 and not line.startswith(";;"):
            segments.append((float(fields[3]), float(fields[4]), fields[2], fields[5].strip()))
    return segments


def overlap(a: tuple[float, float], b: tuple[float, float]) -> float:
    return max(0.0, min(a[1], b[1]) - max(a[0], b[0]))


def stm_to_rttm_names(rttm: list, stm: list) -> dict[str, str]:
    """Map each STM speaker name to the RTTM label it overlaps most."""
    names = {}
    for name in sorted({s[2] for s in stm}):
        totals: dict[str, float] = {}
        for start, end, _, _ in (s for s in stm if s[2] == name):
            for r_start, r_end, label in rttm:
                totals[label] = totals.get(label, 0.0) + overlap((start, end), (r_start, r_end))
        names[name] = max(sorted(totals), key=totals.__getitem__)
    return names


def call_truth(folder: Path, recording: str) -> dict:
    """One utterance per RTTM turn (speaker, times); its text is the STM segments of the same
    speaker whose midpoint falls inside the turn (empty for a turn with no transcript)."""
    rttm, stm = read_rttm(folder / "sample.rttm"), read_stm(folder / "sample.stm")
    names = stm_to_rttm_names(rttm, stm)
    utterances = []
    for start, end, label in rttm:
        words = [
            text
            for s_start, s_end, name, text in stm
            if names[name] == label and start <= (s_start + s_end) / 2 <= end
        ]
        utterances.append(
            {
                "start": round(start, 3),
                "end": round(end, 3),
                "speaker": label,
                "text": " ".join(words),
                "source": CALL_SOURCE,
                "emotion": None,
            }
        )
    duration = len(decode_audio(folder / "sample.wav")) / SAMPLE_RATE
    return {
        "recording": recording,
        "duration": round(duration, 3),
        "speaker_names": {label: name for name, label in sorted(names.items())},
        "utterances": utterances,
    }


def write_call(media: Path, out: Path) -> str:
    """Copy the call, as FLAC when that is clearly smaller (FLAC is lossless). Returns its name."""
    source = media / CALL_SOURCE
    flac = out / "call.flac"
    cmd = [ffmpeg(), "-v", "error", "-y", "-i", str(source), "-map_metadata", "-1"]
    cmd += ["-fflags", "+bitexact", "-c:a", "flac", "-compression_level", "8", str(flac)]
    subprocess.run(cmd, check=True)
    if flac.stat().st_size < 0.8 * source.stat().st_size:
        (out / "call.wav").unlink(missing_ok=True)
        return flac.name
    flac.unlink()
    shutil.copyfile(source, out / "call.wav")
    return "call.wav"


# --- main -----------------------------------------------------------------------------------


def write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--media", type=Path, default=Path("../shared/media"))
    parser.add_argument("--out", type=Path, default=Path("sample_meetings"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    turns = plan_turns(args.media, MEETING_ORDER)
    render_meeting(turns, args.out / "meeting.mp4")
    write_json(args.out / "meeting.truth.json", meeting_truth(turns, "meeting.mp4"))

    call = write_call(args.media, args.out)
    folder = args.media / CALL_SOURCE.rsplit("/", 1)[0]
    write_json(args.out / "call.truth.json", call_truth(folder, call))
    for turn in turns:
        print(f"{turn.offset * FRAME:6.2f}s  {turn.clip.speaker:18s} {turn.clip.text}")


if __name__ == "__main__":
    main()
