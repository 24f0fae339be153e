"""ELAN, Praat TextGrid, RTTM, TSV and plain text: every format is read back with a reader of its
own (pympi-ling and the XML itself for .eaf; praatio and textgrid for TextGrid; pyannote.database
and a strict column check for RTTM; pandas for TSV) and holds the JSON's utterances, times (to
the format's precision), speakers and labels, also for overlapping speech, utterances without
words and fuzzed text."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
import srt
import textgrid
import webvtt
from hypothesis import given, settings
from hypothesis import strategies as st
from praatio import textgrid as praatio_textgrid
from pyannote.database.util import load_rttm
from pympi.Elan import Eaf

from annotator.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, main
from annotator.export import FORMATS, extension_for, format_for, writer_for
from annotator.pipeline import speaker_summaries
from annotator.transcript import (
    Emotion,
    EmotionResult,
    Source,
    Transcript,
    Utterance,
    Word,
)

HAPPY = [0.1, 0.0, 0.7, 0.05, 0.05, 0.05, 0.05, 0.0]
SAD = [0.1, 0.0, 0.05, 0.7, 0.05, 0.05, 0.05, 0.0]
NEUTRAL = [0.8, 0.05, 0.05, 0.02, 0.02, 0.02, 0.02, 0.02]


def emotion(scores, audio=None, face=None, text=None) -> Emotion:
    fused = EmotionResult.from_scores(scores)
    results = {
        side: EmotionResult.from_scores(s) if s else None
        for side, s in (("audio", audio), ("face", face), ("text", text))
    }
    return Emotion(fused.label, fused.confidence, fused.scores, **results)


def meeting() -> Transcript:
    """Three speakers; SPEAKER_2 and SPEAKER_3 talk at once (both flagged), SPEAKER_3 is heard
    without words, a word has no length (as Whisper gives some), names and text need escaping."""
    utterances = [
        Utterance(
            0,
            0.0,
            2.0,
            'Hello "all" & <everyone>',
            words=[
                Word(0.0, 0.0, " Hello", 0.9),
                Word(0.0, 0.8, ' "all"', 0.9),
                Word(0.8, 2.0, " & <everyone>", 0.9),
            ],
            speaker="SPEAKER_1",
            emotion=emotion(HAPPY, audio=HAPPY, face=SAD, text=NEUTRAL),
        ),
        Utterance(
            1,
            2.5,
            5.0,
            "مرحبا بكم 🙂",
            words=[Word(2.5, 3.5, " مرحبا", 0.8), Word(3.5, 5.0, " بكم 🙂", 0.7)],
            speaker="SPEAKER_2",
            overlap=True,
            emotion=emotion(SAD, audio=SAD),
        ),
        Utterance(2, 4.0, 6.0, "", words=[], speaker="SPEAKER_3", overlap=True),
        Utterance(
            3,
            6.5,
            8.25,
            "line one\nline two\ttab",
            words=[Word(6.5, 8.25, " line", 0.9)],
            speaker="SPEAKER_1",
            emotion=emotion(NEUTRAL, audio=NEUTRAL, face=NEUTRAL),
        ),
        Utterance(4, 8.25, 9.0, "Wait", speaker="SPEAKER_2", emotion=emotion(HAPPY, audio=HAPPY)),
    ]
    return Transcript(
        source=Source("recordings/team meeting.mp4", 10.0, True, True),
        models={},
        utterances=utterances,
        speakers=speaker_summaries(utterances, ("Ann <O'Neil>", "", 'Dr. "Bob"')),
    )


NAMES = {"SPEAKER_1": "Ann <O'Neil>", "SPEAKER_2": "SPEAKER_2", "SPEAKER_3": 'Dr. "Bob"'}


def line(text: str) -> str:
    """Text as the formats hold it: one line, no control characters (nor XML's non-characters)."""
    kept = "".join(
        c
        for c in text
        if c.isspace() or (unicodedata.category(c) != "Cc" and c not in "\ufffe\uffff")
    )
    return " ".join(kept.split())


def shown(text: str) -> str:
    """What a tier or a line of text holds: the line, or "…" for speech without words."""
    return line(text) or "…"


def label(result) -> str:
    return f"{result.label} {result.confidence:.2f}"


def by_speaker(transcript: Transcript, speaker: str) -> list[Utterance]:
    return [u for u in transcript.utterances if u.speaker == speaker]


# ELAN


def test_eaf_has_a_tier_per_speaker_with_emotion_and_branch_tiers(tmp_path):
    transcript = meeting()
    path = tmp_path / "out" / "team.eaf"
    path.parent.mkdir()
    writer_for("eaf").write(transcript, path)
    eaf = Eaf(str(path))
    for speaker, name in NAMES.items():
        said = by_speaker(transcript, speaker)
        assert sorted(eaf.get_annotation_data_for_tier(name)) == [
            (round(u.start * 1000), round(u.end * 1000), shown(u.text)) for u in said
        ]
        assert eaf.get_parameters_for_tier(name)["PARTICIPANT"] == name
        fused = [(u.start, label(u.emotion)) for u in said if u.emotion]
        if fused:
            found = eaf.get_ref_annotation_data_for_tier(f"{name} emotion")
            assert sorted((s / 1000, value) for s, _, value, _ in found) == fused
            assert eaf.get_parameters_for_tier(f"{name} emotion")["PARENT_REF"] == name
        else:
            assert f"{name} emotion" not in eaf.get_tier_names()
    # Each branch on its own tier, only where that branch spoke.
    ann = "Ann <O'Neil>"
    voice = eaf.get_ref_annotation_data_for_tier(f"{ann} voice emotion")
    assert [value for *_, value, _ in sorted(voice)] == ["happy 0.70", "neutral 0.80"]
    face = eaf.get_ref_annotation_data_for_tier(f"{ann} face emotion")
    assert [value for *_, value, _ in sorted(face)] == ["sad 0.70", "neutral 0.80"]
    text = eaf.get_ref_annotation_data_for_tier(f"{ann} text emotion")
    assert [(s, value) for s, _, value, _ in text] == [(0, "neutral 0.80")]
    assert "SPEAKER_2 face emotion" not in eaf.get_tier_names()
    # Words: the one Whisper gave no length gets 1 ms, and its neighbour starts after it.
    assert sorted(eaf.get_annotation_data_for_tier(f"{ann} words")) == [
        (0, 1, "Hello"),
        (1, 800, '"all"'),
        (800, 2000, "& <everyone>"),
        (6500, 8250, "line"),
    ]


def test_eaf_links_the_recording_relative_to_itself_and_is_plain_xml(tmp_path):
    recording = tmp_path / "media" / "team meeting.mp4"
    recording.parent.mkdir()
    recording.write_bytes(b"x")
    transcript = meeting()
    transcript.source.path = str(recording)
    path = tmp_path / "eaf" / "team.eaf"
    path.parent.mkdir()
    writer_for("eaf").write(transcript, path)
    root = ET.parse(path).getroot()  # the XML alone, without pympi
    (descriptor,) = root.iter("MEDIA_DESCRIPTOR")
    assert descriptor.get("RELATIVE_MEDIA_URL") == "../media/team%20meeting.mp4"
    assert descriptor.get("MEDIA_URL") == recording.as_uri()
    assert descriptor.get("MIME_TYPE") == "video/mp4"
    assert root.find("HEADER").get("TIME_UNITS") == "milliseconds"
    tiers = {t.get("TIER_ID"): t for t in root.iter("TIER")}
    values = [v.text for v in tiers['Dr. "Bob"'].iter("ANNOTATION_VALUE")]
    assert values == ["…"]  # heard, no words
    ids = [a.get("ANNOTATION_ID") for a in root.iter() if a.get("ANNOTATION_ID")]
    assert len(ids) == len(set(ids))
    last = int(
        next(p.text for p in root.iter("PROPERTY") if p.get("NAME") == "lastUsedAnnotationId")
    )
    assert last == max(int(i[1:]) for i in ids)


# Praat


def test_textgrid_reads_back_in_praatio_and_textgrid_with_gaps_filled(tmp_path):
    transcript = meeting()
    path = tmp_path / "team.TextGrid"
    writer_for("textgrid").write(transcript, path)
    grid = praatio_textgrid.openTextgrid(str(path), includeEmptyIntervals=True)
    assert list(grid.tierNames) == [
        "Ann <O'Neil>",
        "Ann <O'Neil> emotion",
        "Ann <O'Neil> words",
        "SPEAKER_2",
        "SPEAKER_2 emotion",
        "SPEAKER_2 words",
        'Dr. "Bob"',
    ]
    for speaker, name in NAMES.items():
        said = by_speaker(transcript, speaker)
        entries = grid.getTier(name).entries
        assert [(e.start, e.end, e.label) for e in entries if e.label] == [
            (u.start, u.end, shown(u.text)) for u in said
        ]
        # Praat's layout: the whole recording covered, gaps as empty intervals.
        assert entries[0].start == 0 and entries[-1].end == 10.0
        assert all(a.end == b.start for a, b in zip(entries, entries[1:], strict=False))
    emotions = grid.getTier("SPEAKER_2 emotion").entries
    assert [(e.start, e.label) for e in emotions if e.label] == [
        (2.5, "sad 0.70"),
        (8.25, "happy 0.70"),
    ]
    words = grid.getTier("SPEAKER_2 words").entries
    assert [(e.start, e.end, e.label) for e in words if e.label] == [
        (2.5, 3.5, "مرحبا"),
        (3.5, 5.0, "بكم 🙂"),
    ]

    other = textgrid.TextGrid.fromFile(str(path))
    # This reader leaves a tier name's doubled quotes (Praat's escape) as they are in the file.
    assert [t.name.replace('""', '"') for t in other] == list(grid.tierNames)
    first = other.getFirst("Ann <O'Neil>")
    assert [(i.minTime, i.maxTime, i.mark) for i in first if i.mark] == [
        (0.0, 2.0, 'Hello "all" & <everyone>'),
        (6.5, 8.25, "line one line two tab"),
    ]


def test_one_speakers_overlapping_utterances_go_to_a_second_tier():
    transcript = meeting()
    transcript.utterances.append(
        Utterance(5, 6.0, 7.0, "me too", speaker="SPEAKER_1", emotion=emotion(SAD))
    )
    grid = praatio_textgrid.openTextgrid(
        io_path(writer_for("textgrid").render(transcript)), includeEmptyIntervals=False
    )
    ann = "Ann <O'Neil>"
    # In time order, each into the first of the speaker's tiers where it fits.
    assert [e.label for e in grid.getTier(ann).entries] == ['Hello "all" & <everyone>', "me too"]
    assert [(e.start, e.end, e.label) for e in grid.getTier(f"{ann} (2)").entries] == [
        (6.5, 8.25, "line one line two tab")
    ]
    assert [e.label for e in grid.getTier(f"{ann} (2) emotion").entries] == ["neutral 0.80"]
    eaf = Eaf(io_path(writer_for("eaf").render(transcript), ".eaf"))
    assert eaf.get_parameters_for_tier(f"{ann} (2)")["PARTICIPANT"] == ann
    assert [v for *_, v, _ in eaf.get_ref_annotation_data_for_tier(f"{ann} (2) emotion")] == [
        "neutral 0.80"
    ]


def io_path(text: str, suffix: str = ".TextGrid") -> str:
    """`text` in a file, for readers that only open paths."""
    import tempfile

    handle = tempfile.NamedTemporaryFile("w", suffix=suffix, delete=False, encoding="utf-8")
    with handle:
        handle.write(text)
    return handle.name


# RTTM


def test_rttm_has_one_turn_per_utterance_in_the_standard_columns(tmp_path):
    transcript = meeting()
    path = tmp_path / "team.rttm"
    writer_for("rttm").write(transcript, path)
    lines = path.read_text().splitlines()
    assert len(lines) == len(transcript.utterances)
    tokens = {"SPEAKER_1": "Ann_<O'Neil>", "SPEAKER_2": "SPEAKER_2", "SPEAKER_3": 'Dr._"Bob"'}
    for line, u in zip(lines, transcript.utterances, strict=True):
        columns = line.split(" ")
        assert len(columns) == 10
        assert columns[:3] == ["SPEAKER", "team_meeting", "1"]
        assert columns[5:7] == ["<NA>", "<NA>"] and columns[8:] == ["<NA>", "<NA>"]
        assert float(columns[3]) == u.start
        assert float(columns[4]) == pytest.approx(u.end - u.start, abs=5e-4)
        assert columns[7] == tokens[u.speaker]
    (annotation,) = load_rttm(path).values()
    assert annotation.uri == "team_meeting"
    turns = sorted(
        (round(s.start, 3), round(s.end, 3), who) for s, _, who in annotation.itertracks(True)
    )
    assert turns == sorted((u.start, u.end, tokens[u.speaker]) for u in transcript.utterances)


# Tables and plain text


def read_tsv(text: str) -> pd.DataFrame:
    return pd.read_csv(
        io.StringIO(text),
        sep="\t",
        quoting=csv.QUOTE_NONE,
        keep_default_na=False,
        dtype={"text": str, "speaker": str},
    )


def test_tsv_has_whisperx_columns_then_speaker_emotion_and_overlap():
    transcript = meeting()
    frame = read_tsv(writer_for("tsv").render(transcript))
    assert list(frame.columns)[:3] == ["start", "end", "text"]  # WhisperX's, in milliseconds
    us = transcript.utterances
    assert list(frame["start"]) == [round(u.start * 1000) for u in us]
    assert list(frame["end"]) == [round(u.end * 1000) for u in us]
    assert list(frame["text"]) == [line(u.text) for u in us]
    assert list(frame["speaker"]) == [NAMES[u.speaker] for u in us]
    assert list(frame["emotion"]) == [u.emotion.label if u.emotion else "" for u in us]
    assert list(frame["overlap"]) == [u.overlap for u in us]


def test_csv_carries_the_overlap_flag():
    frame = pd.read_csv(io.StringIO(writer_for("csv").render(meeting())))
    assert list(frame["overlap"]) == [False, True, True, False, False]
    assert frame.loc[2, "text"] != frame.loc[2, "text"]  # empty text reads as missing


def test_txt_has_one_readable_line_per_utterance():
    lines = writer_for("txt").render(meeting()).splitlines()
    assert lines == [
        '[00:00:00] Ann <O\'Neil> (happy): Hello "all" & <everyone>',
        "[00:00:02] SPEAKER_2 (sad, overlap): مرحبا بكم 🙂",
        '[00:00:04] Dr. "Bob" (overlap): …',
        "[00:00:06] Ann <O'Neil> (neutral): line one line two tab",
        "[00:00:08] SPEAKER_2 (happy): Wait",
    ]
    plain = writer_for("txt", emotion_tags=False).render(meeting()).splitlines()
    assert plain[0] == '[00:00:00] Ann <O\'Neil>: Hello "all" & <everyone>'


def test_subtitles_keep_overlapping_cues_and_a_cue_for_speech_without_words():
    transcript = meeting()
    cues = list(srt.parse(writer_for("srt").render(transcript)))
    assert len(cues) == len(transcript.utterances)
    assert cues[1].end.total_seconds() > cues[2].start.total_seconds()  # they overlap
    assert cues[2].content == '[Dr. "Bob"] …'
    captions = webvtt.from_buffer(io.StringIO(writer_for("vtt").render(transcript))).captions
    assert [c.voice for c in captions][1:3] == ["SPEAKER_2", 'Dr. "Bob"']
    # Listed out of time order (as an overlap found later may be), cues still come in order.
    transcript.utterances.reverse()
    starts = [c.start.total_seconds() for c in srt.parse(writer_for("srt").render(transcript))]
    assert starts == sorted(u.start for u in transcript.utterances)
    captions = webvtt.from_buffer(io.StringIO(writer_for("vtt").render(transcript))).captions
    assert [c.start_in_seconds for c in captions] == sorted(
        int(u.start) for u in transcript.utterances
    )


# Without diarization, and with nothing at all


def test_a_transcript_without_speakers_has_one_set_of_tiers():
    transcript = meeting()
    for u in transcript.utterances:
        u.speaker, u.overlap = None, False
    transcript.speakers = []
    transcript.utterances.pop(1)  # no speaker, so no overlap either
    grid = praatio_textgrid.openTextgrid(
        io_path(writer_for("textgrid").render(transcript)), includeEmptyIntervals=False
    )
    assert list(grid.tierNames) == ["transcript", "transcript emotion", "transcript words"]
    rttm = writer_for("rttm").render(transcript).splitlines()
    assert {line.split(" ")[7] for line in rttm} == {"unknown"}
    assert writer_for("txt").render(transcript).splitlines()[1] == "[00:00:04] …"


def test_every_format_writes_an_empty_transcript(tmp_path):
    empty = Transcript(Source("x.wav", 0.0, True, False), {}, [])
    for fmt in FORMATS:
        path = tmp_path / f"x.{extension_for(fmt)}"
        writer_for(fmt).write(empty, path)
        assert path.exists()
    assert praatio_textgrid.openTextgrid(str(tmp_path / "x.TextGrid"), False).tierNames == ()
    assert Eaf(str(tmp_path / "x.eaf")).get_tier_names() == {}.keys()


# Fuzzed text and names


awkward_text = st.lists(
    st.one_of(
        st.characters(blacklist_categories=("Cs",)),
        st.sampled_from(["\n", "\r\n", '"', '""', "<b>", "&amp;", "\u202e", "שלום", "🙂", " "]),
    ),
    max_size=20,
).map("".join)


@settings(max_examples=60, deadline=None)
@given(st.lists(awkward_text, min_size=1, max_size=3), awkward_text)
def test_fuzzed_text_and_names_read_back_in_every_tier_format(texts, name):
    utterances = [
        Utterance(i, i * 2.5, i * 2.5 + 1.234, text, speaker="SPEAKER_1")
        for i, text in enumerate(texts)
    ]
    speakers = speaker_summaries(utterances, (name,))
    transcript = Transcript(Source("x.wav", 100.0, True, False), {}, utterances, speakers=speakers)
    tier = line(name) or "SPEAKER_1"
    expected = [(u.start, u.end, shown(u.text)) for u in utterances]

    eaf = Eaf(io_path(writer_for("eaf").render(transcript), ".eaf"))
    assert list(eaf.get_tier_names()) == [tier]
    assert sorted(eaf.get_annotation_data_for_tier(tier)) == [
        (round(s * 1000), round(e * 1000), t) for s, e, t in expected
    ]

    path = io_path(writer_for("textgrid").render(transcript))
    grid = praatio_textgrid.openTextgrid(path, includeEmptyIntervals=False)
    assert list(grid.tierNames) == [tier]
    assert [(e.start, e.end, e.label) for e in grid.getTier(tier).entries] == expected
    other = textgrid.TextGrid.fromFile(path)
    assert [(i.minTime, i.maxTime, i.mark) for i in other[0] if i.mark] == expected

    frame = read_tsv(writer_for("tsv").render(transcript))
    assert list(frame["text"]) == [line(u.text) for u in utterances]
    assert list(frame["speaker"]) == [tier] * len(utterances)
    assert writer_for("txt").render(transcript).splitlines() == [
        f"[00:00:{int(u.start):02d}] {tier}: {shown(u.text)}" for u in utterances
    ]

    for turn in writer_for("rttm").render(transcript).splitlines():
        columns = turn.split(" ")
        assert len(columns) == 10 and columns[7] == ("_".join(tier.split()) or "unknown")


# The command line


def run_cli(capsys, *args):
    with pytest.raises(SystemExit) as exit_info:
        main([str(a) for a in args])
    captured = capsys.readouterr()
    return exit_info.value.code, captured.out + captured.err


def test_convert_writes_any_format_from_a_json_transcript(tmp_path, capsys):
    saved = tmp_path / "team.json"
    writer_for("json").write(meeting(), saved)
    code, text = run_cli(capsys, "convert", saved, "-o", tmp_path / "out" / "team.eaf")
    assert code == EXIT_OK and "wrote" in text
    assert "SPEAKER_2 emotion" in Eaf(str(tmp_path / "out" / "team.eaf")).get_tier_names()
    code, _ = run_cli(capsys, "convert", saved, "-f", "textgrid")
    assert code == EXIT_OK and (tmp_path / "team.TextGrid").is_file()
    code, _ = run_cli(capsys, "convert", saved, "-o", tmp_path / "team.rttm")
    assert code == EXIT_OK and len(load_rttm(tmp_path / "team.rttm")["team_meeting"]) == 5


def test_convert_refuses_bad_input_in_one_line(tmp_path, capsys):
    saved = tmp_path / "team.json"
    writer_for("json").write(meeting(), saved)
    code, text = run_cli(capsys, "convert", tmp_path / "missing.json", "-o", tmp_path / "x.eaf")
    assert code == EXIT_USAGE and "missing.json: no such file" in text
    code, text = run_cli(capsys, "convert", saved)
    assert code == EXIT_USAGE and "-o FILE or -f FORMAT" in text
    code, text = run_cli(capsys, "convert", saved, "-o", tmp_path / "x.docx")
    assert code == EXIT_USAGE and "unsupported output format 'docx'" in text
    notes = tmp_path / "notes.json"
    notes.write_text("not json")
    code, text = run_cli(capsys, "convert", notes, "-o", tmp_path / "x.eaf")
    assert code == EXIT_FAILED and "notes.json: not a JSON transcript" in text
    assert "Traceback" not in text and not (tmp_path / "x.eaf").exists()


def test_formats_and_extensions():
    assert format_for("a/b.TextGrid") == format_for("a/b.textgrid") == "textgrid"
    assert extension_for("textgrid") == "TextGrid" and extension_for("eaf") == "eaf"
    assert {"eaf", "textgrid", "rttm", "txt", "tsv"} <= set(FORMATS)


def test_a_folder_run_writes_eaf_and_resumes(tmp_path, capsys, samples):
    """The real pipeline on a real clip, through the folder path of the CLI."""
    from helpers import meeting_turn

    recordings = tmp_path / "in"
    recordings.mkdir()
    meeting_turn("bin_blue", recordings)
    out = tmp_path / "out"
    code, text = run_cli(capsys, recordings, "-o", out, "-f", "eaf")
    assert code == EXIT_OK and "1 done, 0 up to date, 0 failed" in text
    path = out / "bin_blue.eaf"
    eaf = Eaf(str(path))
    (speaker,) = [t for t in eaf.get_tier_names() if re.fullmatch(r"SPEAKER_\d+", t)]
    (annotation,) = eaf.get_annotation_data_for_tier(speaker)
    assert "now" in annotation[2].lower()
    assert len(eaf.get_annotation_data_for_tier(f"{speaker} words")) >= 3
    assert eaf.get_ref_annotation_data_for_tier(f"{speaker} emotion")
    (media,) = eaf.get_linked_files()
    assert media["RELATIVE_MEDIA_URL"] == "../in/bin_blue.mp4"
    before = path.stat().st_mtime_ns
    code, text = run_cli(capsys, recordings, "-o", out, "-f", "eaf")
    assert code == EXIT_OK and "0 done, 1 up to date, 0 failed" in text
    assert path.stat().st_mtime_ns == before
    assert Path(out / "bin_blue.eaf").exists()


def test_a_folder_run_names_praat_outputs_textgrid_and_skips_them_when_done(tmp_path, capsys):
    recordings, out = tmp_path / "in", tmp_path / "out"
    recordings.mkdir()
    (recordings / "talk.wav").write_bytes(b"RIFF")
    out.mkdir()
    done = out / "talk.TextGrid"
    done.write_text("finished earlier")  # newer than its recording: up to date, no model runs
    code, text = run_cli(capsys, recordings, "-o", out, "-f", "textgrid")
    assert code == EXIT_OK and "0 done, 1 up to date, 0 failed" in text
    assert done.read_text() == "finished earlier"
