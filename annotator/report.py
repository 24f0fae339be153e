"""The HTML report: one self-contained page per recording (player, transcript, timeline, summary).

The page has its CSS and JavaScript inline and makes no network request; the recording is
referenced by a path relative to the report (so the two can be moved together) or inlined as a
data: URI. Every layout number (timeline positions, shares, chart widths) is computed here, so
the page's script only handles interaction: seeking, highlighting, filtering and keys.
"""

from __future__ import annotations

import base64
import os
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from annotator.export.media_link import media_type, shown_path
from annotator.transcript import EmotionResult, Transcript, Utterance
from annotator.writer import Writer, atomic_write

TEMPLATES = Path(__file__).with_name("templates")
EMBED_LIMIT = 50 * 1024 * 1024  # bytes; a data: URI this size already makes a sluggish page
# A fused label below this confidence is drawn muted: with eight classes, chance is 0.125 and
# the calibrated models rarely exceed 0.4 when they are wrong on out-of-domain speech.
LOW_CONFIDENCE = 0.4

# Okabe & Ito's colour-blind-safe palette (grey stands in for its black, which would hide text
# and look like an error). Every use also prints the label as text.
EMOTION_COLOURS: dict[str, str] = {
    "neutral": "#999999",
    "calm": "#009E73",
    "happy": "#F0E442",
    "sad": "#0072B2",
    "angry": "#D55E00",
    "fearful": "#CC79A7",
    "disgust": "#E69F00",
    "surprised": "#56B4E9",
}
FALLBACK_COLOUR = "#BBBBBB"  # a label outside the eight (a retrained model's own set)
BRANCHES = (("audio", "voice"), ("face", "face"), ("text", "text"))


@dataclass
class _Lane:
    key: str  # the value rows carry in data-speaker ("" when the recording is not diarized)
    name: str
    speaking_time: float = 0.0
    utterances: int = 0
    shares: dict[str, float] = field(default_factory=dict)
    blocks: list[dict[str, Any]] = field(default_factory=list)
    face: str | None = None  # the speaker's face thumbnail (a data: URI), when one was found


def media_src(media: Path, output: Path, embed: bool = False, video: bool = False) -> str:
    """The player's src: the recording's path relative to the report's folder, URL-quoted.

    With `embed`, the recording itself as a base64 data: URI (refused above EMBED_LIMIT).
    """
    if embed:
        if not media.is_file():
            raise ValueError(f"cannot embed {media}: no such file")
        size = media.stat().st_size
        if size > EMBED_LIMIT:
            raise ValueError(
                f"cannot embed {media}: {size / 1e6:.1f} MB is over the "
                f"{EMBED_LIMIT / 1e6:.0f} MB limit; leave out --embed-media to link it instead"
            )
        encoded = base64.b64encode(media.read_bytes()).decode("ascii")
        return f"data:{media_type(media, video)};base64,{encoded}"
    target = os.path.abspath(media)
    try:
        relative = os.path.relpath(target, os.path.abspath(output.parent))
    except ValueError:  # another drive on Windows: no relative path exists
        return Path(target).as_uri()
    return quote(relative.replace(os.sep, "/"))


def format_time(seconds: float | None) -> str:
    """m:ss, or h:mm:ss from an hour on."""
    total = max(0, int(seconds or 0))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _ticks(duration: float) -> list[float]:
    """Time-axis ticks: a round step giving about 6 to 12 labels."""
    steps = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)
    step = next((s for s in steps if duration / s <= 12), 7200)
    return [t * step for t in range(int(duration // step) + 1)]


def _lane_key(utterance: Utterance, diarized: bool) -> str:
    if not diarized:
        return ""
    return utterance.speaker or "unknown"


def _lanes(transcript: Transcript, duration: float) -> list[_Lane]:
    """One lane per speaker in order of the transcript's speaker list (or of first appearance).

    Without any speaker information, a single lane "all". Speakers' figures come from the
    transcript's speaker list when it has them, else from the utterances.
    """
    utterances = transcript.utterances
    diarized = bool(transcript.speakers) or any(u.speaker for u in utterances)
    lanes: dict[str, _Lane] = {}
    given = {s.id: s for s in transcript.speakers}
    for speaker in transcript.speakers:
        lanes[speaker.id] = _Lane(key=speaker.id, name=speaker.name or speaker.id)
    for u in utterances:
        key = _lane_key(u, diarized)
        if key not in lanes:
            lanes[key] = _Lane(key=key, name=key or "all")

    labelled: dict[str, dict[str, float]] = {key: {} for key in lanes}
    for u in utterances:
        lane = lanes[_lane_key(u, diarized)]
        lane.speaking_time += u.duration
        lane.utterances += 1
        if u.emotion is not None:
            shares = labelled[lane.key]
            shares[u.emotion.label] = shares.get(u.emotion.label, 0.0) + u.duration
        lane.blocks.append(
            {
                "i": u.id,
                "x": round(1000 * u.start / duration, 3),
                # A floor keeps a 0.2 s utterance visible (and clickable) in a two-hour lane.
                "w": round(max(1000 * u.duration / duration, 1.2), 3),
                "colour": _colour(u.emotion.label) if u.emotion else FALLBACK_COLOUR,
                "low": _is_low(u.emotion),
                "none": u.emotion is None,
                "title": _block_title(u, lane.name if diarized else None),
            }
        )
    for lane in lanes.values():
        speaker = given.get(lane.key)
        if speaker is not None:
            lane.face = speaker.face_thumbnail
            lane.speaking_time = speaker.speaking_time or lane.speaking_time
            lane.utterances = speaker.utterances or lane.utterances
        if speaker is not None and speaker.emotions:
            lane.shares = {k: float(v) for k, v in speaker.emotions.items() if v}
        else:
            total = sum(labelled[lane.key].values())
            lane.shares = {k: v / total for k, v in labelled[lane.key].items()} if total else {}
        lane.shares = dict(sorted(lane.shares.items(), key=lambda item: -item[1]))
    return list(lanes.values())


def _slug(label: str) -> str:
    """A CSS class name for a label (a retrained model may bring labels of its own)."""
    return label if re.fullmatch(r"[a-z][a-z0-9_-]*", label) else "other"


def _colour(label: str) -> str:
    return EMOTION_COLOURS.get(label, FALLBACK_COLOUR)


def _text_colour(background: str) -> str:
    """Black or white, whichever contrasts more with `background` (WCAG relative luminance)."""

    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(background[i : i + 2]) for i in (1, 3, 5))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#000" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "#fff"


def _is_low(result: Any) -> bool:
    if result is None:
        return False
    # Compared as printed (two decimals), so that a label shown as 0.40 is never drawn muted.
    low = round(result.confidence, 2) < LOW_CONFIDENCE
    return bool(getattr(result, "low_confidence", False)) or low


def _chip(result: Any) -> dict[str, Any] | None:
    if result is None:
        return None
    return {"label": result.label, "confidence": result.confidence, "low": _is_low(result)}


def _branches(utterance: Utterance) -> list[dict[str, Any]]:
    emotion = utterance.emotion
    if emotion is None:
        return []
    weights = emotion.weights or {}
    rows = []
    for attribute, name in BRANCHES:
        result: EmotionResult | None = getattr(emotion, attribute, None)
        if result is None:
            continue
        rows.append(
            {
                "name": name,
                "chip": _chip(result),
                "weight": weights.get(attribute),
                "frames": result.frames,
            }
        )
    return rows


def _block_title(u: Utterance, speaker_name: str | None) -> str:
    """A timeline block's tooltip: when, who, the label and the start of the text."""
    text = " ".join(u.text.split())
    text = text if len(text) <= 60 else text[:59] + "…"
    label = f"{u.emotion.label} {u.emotion.confidence:.2f}" if u.emotion else "no emotion"
    speaker = f"{speaker_name} · " if speaker_name else ""
    overlap = " · overlap" if u.overlap else ""
    return f"{format_time(u.start)} · {speaker}{label}{overlap}: {text or '…'}"


def _more(u: Utterance, branches: list[dict[str, Any]]) -> str:
    """The expanded row's line: fusion weights, face frames, sentiment."""
    parts = []
    weights = [f"{b['name']} {b['weight']:.2f}" for b in branches if b["weight"] is not None]
    if weights:
        parts.append("weights " + ", ".join(weights))
    frames = next((b["frames"] for b in branches if b["frames"]), None)
    if frames:
        parts.append(f"{frames} face frame{'' if frames == 1 else 's'}")
    sentiment = u.sentiment or {}
    affect = [
        f"{name} {float(sentiment[name]):+.2f}"
        for name in ("valence", "arousal")
        if sentiment.get(name) is not None
    ]
    if sentiment.get("label") or affect:
        label = sentiment.get("label") or "sentiment"
        parts.append(f"{label} ({', '.join(affect)})" if affect else str(label))
    return " · ".join(parts)


def _utterance_view(u: Utterance, diarized: bool, names: dict[str, str]) -> dict[str, Any]:
    branches = _branches(u)
    labels = {b["chip"]["label"] for b in branches}
    key = _lane_key(u, diarized)
    return {
        "id": u.id,
        "start": u.start,
        "end": u.end,
        "speaker_key": key,
        "speaker": names.get(key, key) if diarized else None,
        "text": u.text,
        "words": [w for w in u.words if w.word.strip()],
        "chip": _chip(u.emotion),
        "branches": branches,
        "disagree": len(labels) > 1,
        "overlap": u.overlap,
        "hover": ", ".join(
            f"{b['name']}: {b['chip']['label']} {b['chip']['confidence']:.2f}" for b in branches
        ),
        "more": _more(u, branches),
    }


def _affect_lines(transcript: Transcript, duration: float) -> dict[str, list[str]]:
    """Valence and arousal (-1..1) as SVG polyline point lists in a 1000x100 box.

    An utterance without them breaks the line rather than drawing a slope across the gap.
    """
    lines: dict[str, list[str]] = {"valence": [], "arousal": []}
    for name in lines:
        current: list[str] = []
        for u in sorted(transcript.utterances, key=lambda u: (u.start, u.end)):
            value = (u.sentiment or {}).get(name)
            if value is None:
                if current:
                    lines[name].append(" ".join(current))
                current = []
                continue
            x = 1000 * (u.start + u.end) / 2 / duration
            y = 50 - 46 * max(-1.0, min(1.0, float(value)))
            current.append(f"{x:.2f},{y:.2f}")
        if current:
            lines[name].append(" ".join(current))
    return lines


@cache
def _environment() -> Environment:
    # autoescape=True: every transcript string (text, words, speaker names, model names, paths)
    # is HTML-escaped wherever the template prints it.
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["time"] = format_time
    env.filters["slug"] = _slug
    env.filters["colour"] = _colour
    env.filters["ink"] = lambda label: _text_colour(_colour(label))
    return env


def _asset(name: str, closing: str) -> Markup:
    """A static CSS or JS file, inlined verbatim (it is ours, not transcript data)."""
    text = (TEMPLATES / name).read_text(encoding="utf-8")
    if closing in text.lower():
        raise ValueError(f"{name} must not contain {closing!r}")
    return Markup(text)


def render_report(
    transcript: Transcript,
    output: Path,
    embed_media: bool = False,
    media: Path | None = None,
) -> str:
    """The report's HTML for `transcript`, to be saved at `output`.

    `media` (default: the transcript's source path) is what the player plays; it is linked by
    its path relative to `output`'s folder, or inlined with `embed_media` (ValueError when the
    file is missing or larger than EMBED_LIMIT).
    """
    output = Path(output)
    source = transcript.source
    media = Path(media) if media is not None else Path(source.path)
    last_end = max((u.end for u in transcript.utterances), default=0.0)
    duration = max(source.duration or 0.0, last_end, 0.001)
    lanes = _lanes(transcript, duration)
    diarized = not (len(lanes) == 1 and lanes[0].key == "")
    names = {lane.key: lane.name for lane in lanes}
    # In time order whatever the transcript's order: the page finds the playing row by bisection.
    in_order = sorted(transcript.utterances, key=lambda u: (u.start, u.end))
    utterances = [_utterance_view(u, diarized, names) for u in in_order]
    labels = list(transcript.labels) or list(EMOTION_COLOURS)
    used = {u.emotion.label for u in transcript.utterances if u.emotion}
    labels += sorted(used - set(labels))
    overall = (transcript.summary or {}).get("emotion_share") or {}
    max_time = max((lane.speaking_time for lane in lanes), default=0.0) or 1.0
    has_affect = any((u.sentiment or {}).get("valence") is not None for u in transcript.utterances)
    count = len(utterances)
    meta = [format_time(duration), f"{count} utterance{'' if count == 1 else 's'}"]
    if diarized:
        meta.append(f"{len(lanes)} speaker{'' if len(lanes) == 1 else 's'}")
    if source.video:
        meta.append(f"video {source.width}×{source.height}" if source.width else "video")
    else:
        meta.append("audio")
    if transcript.language:
        meta.append(transcript.language)
    page = _environment().get_template("report.html.j2")
    return page.render(
        title=Path(source.path).name or "recording",
        meta=meta,
        duration=duration,
        models=transcript.models or {},
        utterances=utterances,
        lanes=lanes,
        diarized=diarized,
        max_time=max_time,
        labels=labels,
        overall={k: v for k, v in overall.items() if v},
        has_emotion=bool(used),
        has_affect=has_affect,
        affect=_affect_lines(transcript, duration),
        ticks=[(round(1000 * t / duration, 3), format_time(t)) for t in _ticks(duration)],
        src=media_src(media, output, embed_media, source.video),
        media_shown=shown_path(media, output),
        media_found=embed_media or media.is_file(),
        video=bool(source.video),
        low_confidence=LOW_CONFIDENCE,
        css=_asset("report.css", "</style"),
        js=_asset("report.js", "</script"),
    )


class HtmlWriter(Writer):
    """The report as an output format: `annotate meeting.mp4 -o meeting.html`."""

    extension = "html"

    def __init__(
        self, emotion_tags: bool = True, embed_media: bool = False, media: Path | None = None
    ) -> None:
        super().__init__(emotion_tags)
        self.embed_media = embed_media
        self.media = media

    def render(self, transcript: Transcript) -> str:
        # Without an output path the media link is relative to the working directory.
        return render_report(transcript, Path.cwd() / "report.html", self.embed_media, self.media)

    def write(self, transcript: Transcript, path: Path) -> None:
        path = Path(path)
        atomic_write(path, render_report(transcript, path, self.embed_media, self.media))


def write_report(
    transcript_json: Path,
    output: Path,
    embed_media: bool = False,
    media: Path | None = None,
) -> Path:
    """Render an existing JSON transcript to `output` (`annotate report t.json -o r.html`).

    ValueError names what is wrong with a file that is not a transcript. The recording is the
    one recorded, else the one beside the JSON (annotator.export.inputs.media_beside).
    """
    from annotator.export.inputs import media_beside, read_transcript

    transcript_json, output = Path(transcript_json), Path(output)
    transcript = read_transcript(transcript_json)
    if media is None:
        media = media_beside(transcript, transcript_json)
    html = render_report(transcript, output, embed_media, media)
    output.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(output, html)
    return output
