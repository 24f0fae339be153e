"""Where a live stream's utterances go as they are final: a growing file and a terminal view.

The file is JSON Lines (one utterance per line, as in the JSON transcript's "utterances"), SRT
or WebVTT. Each record is written whole with one write() and flushed, so a reader following
the file (tail -f, a caption overlay) never sees half a record.
"""

from __future__ import annotations

import json
import os
from collections import deque
from dataclasses import asdict
from pathlib import Path

from annotator.export.subtitles import _cue_text, _timestamp
from annotator.transcript import Utterance

LIVE_FORMATS = ("jsonl", "srt", "vtt")
VIEW_LINES = 12  # utterances the terminal view shows


def live_format(path: Path, requested: str | None = None) -> str:
    """The live output's format: the one asked for, else from the extension (.jsonl, .ndjson,
    .srt, .vtt); ValueError names the choices."""
    fmt = (requested or Path(path).suffix).lower().lstrip(".")
    fmt = "jsonl" if fmt == "ndjson" else fmt
    if fmt not in LIVE_FORMATS:
        raise ValueError(
            f"a live output is written as it grows: {', '.join(LIVE_FORMATS)} "
            f"(not {fmt or 'no extension'!r}); the complete transcript goes to --final"
        )
    return fmt


def render_record(fmt: str, utterance: Utterance, number: int, emotion_tags: bool = True) -> str:
    """One utterance as a whole record of `fmt` (number: its 1-based position, for SRT)."""
    if fmt == "jsonl":
        return json.dumps(asdict(utterance), ensure_ascii=False) + "\n"
    text = _cue_text(utterance, emotion_tags)
    if fmt == "srt":
        if utterance.speaker:
            text = f"[{utterance.speaker}] {text}"
        timing = f"{_timestamp(utterance.start, ',')} --> {_timestamp(utterance.end, ',')}"
        return f"{number}\n{timing}\n{text}\n\n"
    import html

    text = html.escape(text, quote=False)
    if utterance.speaker:
        text = f"<v {utterance.speaker}>{text}"
    timing = f"{_timestamp(utterance.start, '.')} --> {_timestamp(utterance.end, '.')}"
    return f"{timing}\n{text}\n\n"


class LiveFile:
    """The live output, truncated when opened; `append` writes one record whole and flushes."""

    def __init__(self, path: Path, fmt: str, emotion_tags: bool = True) -> None:
        self.path, self.fmt, self.emotion_tags = Path(path), fmt, emotion_tags
        self.count = 0
        self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o666)
        if fmt == "vtt":
            self._write("WEBVTT\n\n")

    def append(self, utterance: Utterance) -> None:
        self.count += 1
        self._write(render_record(self.fmt, utterance, self.count, self.emotion_tags))

    def _write(self, text: str) -> None:
        data = text.encode("utf-8")
        while data:  # os.write may write less than asked (a full disk, a signal)
            data = data[os.write(self.fd, data) :]

    def close(self) -> None:
        os.close(self.fd)


class LiveView:
    """The last utterances with speaker and emotion, redrawn on the terminal (rich) as they
    come; nothing is drawn when stderr is not a terminal."""

    def __init__(self, console) -> None:  # a rich Console on stderr
        from rich.live import Live

        self.console = console
        self.recent: deque[Utterance] = deque(maxlen=VIEW_LINES)
        self.status = "waiting for speech"
        self.live = Live(self._render(), console=console, auto_refresh=False, transient=False)

    def __enter__(self) -> LiveView:
        self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.live.__exit__(None, None, None)

    def add(self, utterance: Utterance) -> None:
        self.recent.append(utterance)
        self.live.update(self._render(), refresh=True)

    def tick(self, seconds: float, waiting: float) -> None:
        status = f"stream {_clock(seconds)}"
        if waiting > 3:
            status += f", {waiting:.0f} s waiting"
        if status != self.status:
            self.status = status
            self.live.update(self._render(), refresh=True)

    def _render(self):
        from rich.table import Table

        table = Table(show_header=True, header_style="bold", caption=self.status, expand=True)
        table.add_column("time", no_wrap=True)
        table.add_column("speaker", no_wrap=True)
        table.add_column("emotion", no_wrap=True)
        table.add_column("text", ratio=1)
        for u in self.recent:
            emotion = f"{u.emotion.label} {u.emotion.confidence:.2f}" if u.emotion else ""
            table.add_row(_clock(u.start), u.speaker or "", emotion, u.text or "…")
        return table


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes:02d}:{secs:02d}"
