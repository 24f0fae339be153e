"""The CLI's contract: every usage error exits 2 with one line before any file is touched, and
each option reaches the pipeline (checked in the transcript it writes)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from helpers import SAMPLES, ffmpeg

from annotator.cli import EXIT_OK, EXIT_USAGE, main


def run_cli(capsys, *args: object) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_info:
        main([str(a) for a in args])
    return exit_info.value.code, capsys.readouterr().err


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    """Eight seconds of the sample meeting: three speakers, a face in every turn."""
    path = tmp_path_factory.mktemp("clip") / "clip.mp4"
    ffmpeg("-i", str(SAMPLES / "meeting.mp4"), "-t", "8", "-c", "copy", str(path))
    return path


def _one_usage_line(code: int, stderr: str, pattern: str) -> None:
    assert code == EXIT_USAGE, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert "Traceback" not in stderr and "internal error" not in stderr
    assert any(pattern in line for line in lines), stderr


@pytest.mark.parametrize(
    "args, pattern",
    [
        (["--engine", "bogus"], "bogus"),
        (["--fusion", "bogus"], "bogus"),
        (["--fusion", "learned"], "--fusion-weights"),
        (["--fusion-weights", "missing.npz", "--fusion", "learned"], "missing.npz"),
        (["--threads", "-1"], "--threads"),
        (["--face-fps", "0"], "--face-fps"),
        (["--max-utterance", "0"], "--max-utterance"),
        (["--language", "EN"], "not a language code"),
        (["--speaker-names", "Ann,Ann"], "each name once"),
        (["--no-diarize", "--num-speakers", "2"], "need diarization"),
        (["-o", "out.docx"], "unsupported output format"),
        (["--language", "de", "--whisper-model", "tiny.en"], "English-only"),
        (["--whisper-model", "{empty}"], "no model.bin"),
    ],
)
def test_usage_errors_exit_2_with_one_line_and_write_nothing(
    capsys, clip: Path, tmp_path: Path, args: list[str], pattern: str
) -> None:
    empty = tmp_path / "empty-model"
    empty.mkdir()
    args = [a.replace("{empty}", str(empty)) for a in args]
    output = tmp_path / "out.json"
    if "-o" not in args:
        args += ["-o", str(output)]
    code, stderr = run_cli(capsys, clip, *args)
    _one_usage_line(code, stderr, pattern)
    assert not output.exists() and not (tmp_path / "out.docx").exists()


def test_a_model_that_cannot_load_is_reported_once_for_a_folder(
    capsys, clip: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a.mp4", "b.mp4", "c.mp4"):
        (folder / name).symlink_to(clip)
    code, stderr = run_cli(
        capsys, folder, "-o", tmp_path / "out", "--language", "de", "--whisper-model", "tiny.en"
    )
    _one_usage_line(code, stderr, "English-only")
    assert stderr.count("annotate: error:") == 1
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_a_missing_optional_engine_is_a_usage_error_with_an_install_hint(
    capsys, clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "whisper", None)  # as if openai-whisper were not installed
    code, stderr = run_cli(capsys, clip, "--engine", "openai-whisper", "-o", tmp_path / "o.json")
    _one_usage_line(code, stderr, "pip install 'meeting-annotator[openai]'")


def test_device_cuda_without_a_gpu_is_a_usage_error(capsys, clip: Path, tmp_path: Path) -> None:
    from annotator.devices import cuda_available

    if cuda_available():
        pytest.skip("a CUDA GPU is available here: --device cuda is not an error")
    output = tmp_path / "out.json"
    code, stderr = run_cli(capsys, clip, "--device", "cuda", "-o", output)
    _one_usage_line(code, stderr, "--device cuda: no CUDA GPU")
    assert len([line for line in stderr.splitlines() if line.strip()]) == 1
    assert not output.exists()
    code, stderr = run_cli(capsys, clip, "--device", "gpu", "-o", output)  # not a choice
    _one_usage_line(code, stderr, "gpu")


def test_options_reach_the_pipeline_and_are_recorded(capsys, clip: Path, tmp_path: Path) -> None:
    dense, sparse = tmp_path / "dense.json", tmp_path / "sparse.json"
    code, _ = run_cli(
        capsys,
        clip,
        "-o",
        dense,
        "-q",
        "--face-fps",
        "4",
        "--max-utterance",
        "1.2",
        "--threads",
        "1",
        "--single-speaker",
        "--whisper-model",
        "tiny.en",
        "--engine",
        "faster-whisper",
    )
    assert code == EXIT_OK
    code, _ = run_cli(capsys, clip, "-o", sparse, "-q", "--face-fps", "1", "--no-emotion")
    assert code == EXIT_OK
    dense_data, sparse_data = json.loads(dense.read_text()), json.loads(sparse.read_text())

    assert dense_data["options"] | {"device": "cpu"} == {
        "engine": "faster-whisper",
        "whisper_model": "tiny.en",
        "language": None,
        "language_from": None,
        "max_utterance": 1.2,
        "face_fps": 4.0,
        "emotion": True,
        "fusion": "late",
        "single_speaker": True,
        "diarize": False,  # one speaker: nothing to find
        "num_speakers": 1,
        "min_speakers": 1,
        "max_speakers": None,
        "text_emotion": True,
        "prior": "adaptive",
        "device": "cpu",
    }
    assert sparse_data["options"]["emotion"] is False and sparse_data["options"]["face_fps"] == 1
    assert sparse_data["options"]["text_emotion"] is False  # no emotion: no words read either
    # --face-fps: four times the frames looked at per second of speech.
    sampled = [sum(u["face_frames"]["sampled"] for u in d["utterances"]) for d in (dense_data,)]
    sparse_sampled = sum(u["face_frames"]["sampled"] for u in sparse_data["utterances"])
    assert sampled[0] >= 3 * sparse_sampled > 0
    # --max-utterance: a 1.2 s limit splits the multi-word turns (the cut falls between words).
    assert len(dense_data["utterances"]) > len(sparse_data["utterances"])
    # --no-emotion: no emotion model ran.
    assert all(u["emotion"] is None for u in sparse_data["utterances"])
    assert "audio_emotion" not in sparse_data["models"]
    assert all(u["emotion"] is not None for u in dense_data["utterances"])


def test_recorded_options_say_whether_the_words_were_read() -> None:
    from annotator.options import Options

    assert Options().recorded()["text_emotion"] is True
    # A learned fusion head reads voice and face only; --no-text-emotion and --no-emotion skip
    # the words too.
    assert Options(fusion="learned").recorded()["text_emotion"] is False
    assert Options(text_emotion=False).recorded()["text_emotion"] is False
    assert Options(emotion=False).recorded()["text_emotion"] is False
