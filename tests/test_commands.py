"""`annotate train` / `annotate evaluate` wiring: the commands reach the models' functions."""

from __future__ import annotations

import json

import numpy as np
import pytest

from annotator.cli import main


def run(capsys, *args) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main([str(a) for a in args])
    captured = capsys.readouterr()
    return exit_info.value.code, captured.out, captured.err


def test_evaluate_face_on_a_folder_of_labelled_faces(shared, tmp_path, capsys):
    import cv2

    data = np.load(shared / "data" / "fer2013" / "fer2013.npz")
    test = np.flatnonzero(data["usage"] == "PrivateTest")[:40]
    classes = [str(c) for c in data["classes"]]
    for index in test:
        folder = tmp_path / classes[data["labels"][index]]
        folder.mkdir(exist_ok=True)
        cv2.imwrite(str(folder / f"{index}.png"), data["images"][index])
    code, out, _ = run(capsys, "evaluate", "face", "--data", tmp_path, "--json")
    assert code == 0
    result = json.loads(out)
    assert result["n"] == 40 and 0.0 <= result["accuracy"] <= 1.0 and "uar" in result
    assert np.array(result["confusion_matrix"]).sum() == 40


def test_train_and_evaluate_report_missing_data_in_one_line(tmp_path, capsys):
    for command in (["train", "audio", "-o", tmp_path / "w.npz"], ["evaluate", "face"]):
        code, _, err = run(capsys, *command, "--data", tmp_path / "nope")
        assert (
            code == 2
            and err.strip() == f"annotate: error: {tmp_path / 'nope'}: no such file or folder"
        )


def test_train_help_lists_the_three_models(capsys):
    code, out, _ = run(capsys, "train", "--help")
    assert code == 0 and all(name in out for name in ("audio", "face", "multimodal"))


def test_train_audio_writes_weights_that_load(shared, tmp_path, capsys):
    from annotator.emotion.audio import SpeechEmotionModel

    data = tmp_path / "ravdess"
    for actor in ("Actor_01", "Actor_02"):
        (data / actor).mkdir(parents=True)
        for clip in sorted((shared / "data" / "ravdess-speech" / actor).glob("*.flac"))[::8]:
            (data / actor / clip.name).symlink_to(clip)
    code, out, err = run(capsys, "train", "audio", "--data", data, "-o", tmp_path / "speech")
    assert code == 0 and "features: 16/16 clips" in err
    assert out.startswith(f"wrote {tmp_path / 'speech.npz'}: 16 clips")
    model = SpeechEmotionModel.load(tmp_path / "speech.npz")
    assert model.metadata["training_data"]["speakers"] == 2


def test_train_and_evaluate_text_on_a_slice_of_meld(shared, tmp_path, capsys):
    meld = shared / "data" / "meld-text"
    weights = tmp_path / "text.npz"
    code, _, _ = run(capsys, "train", "text", "--data", meld, "-o", weights, "--limit", "48")
    assert code == 0 and weights.is_file()
    code, out, _ = run(
        capsys, "evaluate", "text", "--data", meld, "--weights", weights, "--limit", "40", "--json"
    )
    result = json.loads(out)
    assert code == 0
    matrix = np.array(result["confusion_matrix"])
    assert matrix.sum() == 40  # every utterance of the slice scored once
    assert result["accuracy"] == pytest.approx(np.trace(matrix) / 40)
    assert {"accuracy", "uar", "weighted_f1"} <= set(result["sentiment"])
