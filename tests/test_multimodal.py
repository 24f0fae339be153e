"""The emotion stage through the real pipeline, and the joint model's training path end to end
on a small real fixture (RAVDESS audio-video + CREMA-D clips from ../shared/media)."""

from __future__ import annotations

import json

import pytest

from annotator.cli import EXIT_OK, main
from annotator.emotion.labels import LABELS
from annotator.emotion.learned_fusion import LearnedFusion
from annotator.training.corpora import label_from_name, read_labelled_clips


def run(*args) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([str(a) for a in args])
    assert exit_info.value.code == EXIT_OK


@pytest.fixture(scope="module")
def fixture_folder(shared, tmp_path_factory):
    folder = tmp_path_factory.mktemp("av")
    for source in sorted((shared / "media" / "ravdess-av").glob("*.mp4")):
        (folder / source.name).symlink_to(source)
    for source in sorted((shared / "media" / "crema-d").iterdir()):
        (folder / source.name).symlink_to(source)
    return folder


def test_labels_and_speakers_come_from_file_names(tmp_path):
    ravdess = label_from_name(tmp_path / "01-01-05-02-01-01-12.mp4")
    assert (ravdess.label, ravdess.speaker) == ("angry", "ravdess_12")
    assert label_from_name(tmp_path / "02-01-05-02-01-01-12.mp4") is None  # video only
    assert label_from_name(tmp_path / "01-02-05-02-01-01-12.mp4") is None  # song
    crema = label_from_name(tmp_path / "1001_DFA_FEA_XX.flv")
    assert (crema.label, crema.speaker) == ("fearful", "cremad_1001")
    assert label_from_name(tmp_path / "meeting.mp4") is None


def test_joint_model_trains_and_is_used_end_to_end(fixture_folder, tmp_path, capsys):
    clips = read_labelled_clips([fixture_folder])
    assert len(clips) == 14 and len({c.speaker for c in clips}) == 4
    weights = tmp_path / "fusion.npz"
    run("train", "multimodal", "--data", fixture_folder, "-o", weights)
    report = json.loads(capsys.readouterr().out)
    assert report["held_out"] == ["ravdess_09"]  # speaker-independent: one actor held out
    head = LearnedFusion.load(weights)
    assert head.coef.shape[0] == len(LABELS)

    output = tmp_path / "clip.json"
    clip = fixture_folder / "1001_DFA_HAP_XX.flv"
    run(clip, "-o", output, "-q", "--fusion", "learned", "--fusion-weights", weights)
    data = json.loads(output.read_text())
    assert data["models"]["fusion"].startswith("learned fusion head")
    emotion = data["utterances"][0]["emotion"]
    assert emotion["weights"] == {"learned": 1.0}
    assert sum(emotion["scores"].values()) == pytest.approx(1.0, abs=1e-3)
    assert emotion["face"] is not None and emotion["audio"] is not None


def test_evaluate_fusion_reports_every_clip_and_audio_only_equals_voice(fixture_folder, capsys):
    run("evaluate", "fusion", "--data", fixture_folder, "--json")
    result = json.loads(capsys.readouterr().out)
    rows = {row["clip"]: row for row in result["clips"]}
    assert len(rows) == 14
    assert rows["1001_DFA_ANG_XX.flv"]["face"] is not None
    assert rows["1002_DFA_ANG_XX.mp3"]["face"] is None
    assert result["audio_only_fused_equals_audio"] == "6 of 6"
    for row in result["clips"]:
        if row["face"] is None:
            assert row["fused"] == row["audio"] and row["weights"] == {"audio": 1.0}
    fused = [row["fused"] == row["truth"] for row in result["clips"]]
    assert result["accuracy"] == pytest.approx(sum(fused) / len(fused), abs=1e-3)
