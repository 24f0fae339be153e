"""A per-user default language: ANNOTATOR_LANGUAGE, else the config file; the command line wins;
the transcript records where the language came from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import SAMPLES, ffmpeg

from annotator.cli import EXIT_OK, EXIT_USAGE, main
from annotator.user_config import LANGUAGE_ENV, config_path, default_language


def write_config(folder: Path, text: str) -> Path:
    path = config_path({"XDG_CONFIG_HOME": str(folder)})
    path.parent.mkdir(parents=True)
    path.write_text(text)
    return path


def test_environment_then_config_file(tmp_path):
    assert default_language({"XDG_CONFIG_HOME": str(tmp_path)}) == (None, None)
    path = write_config(tmp_path, 'language = "DE"\n')
    assert default_language({"XDG_CONFIG_HOME": str(tmp_path)}) == ("de", str(path))
    both = {"XDG_CONFIG_HOME": str(tmp_path), LANGUAGE_ENV: "fr"}
    assert default_language(both) == ("fr", LANGUAGE_ENV)


def test_a_config_file_without_a_language_sets_none(tmp_path):
    write_config(tmp_path, "# nothing yet\n")
    assert default_language({"XDG_CONFIG_HOME": str(tmp_path)}) == (None, None)


@pytest.mark.parametrize("text", ['language = "de', "language = 3\n"])
def test_a_broken_config_file_is_named(tmp_path, text):
    path = write_config(tmp_path, text)
    with pytest.raises(ValueError, match=str(path)):
        default_language({"XDG_CONFIG_HOME": str(tmp_path)})


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    """Four seconds of the call: one speaker saying hello."""
    path = tmp_path_factory.mktemp("clip") / "clip.flac"
    ffmpeg("-i", str(SAMPLES / "call.flac"), "-ss", "6", "-t", "4", str(path))
    return path


def run(capsys, *args: object) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_info:
        main([str(a) for a in args])
    return exit_info.value.code, capsys.readouterr().err


FAST = ("--whisper-model", "tiny.en", "--no-emotion", "--no-diarize", "--threads", "1", "-q")


def test_the_transcript_records_where_the_language_came_from(capsys, clip, tmp_path, monkeypatch):
    out = tmp_path / "env.json"
    monkeypatch.setenv(LANGUAGE_ENV, "en")
    assert run(capsys, clip, "-o", out, *FAST)[0] == EXIT_OK
    options = json.loads(out.read_text())["options"]
    assert (options["language"], options["language_from"]) == ("en", LANGUAGE_ENV)
    # The command line wins over the environment.
    monkeypatch.setenv(LANGUAGE_ENV, "de")  # tiny.en would refuse German: it is not used
    out = tmp_path / "cli.json"
    assert run(capsys, clip, "-o", out, "--language", "en", *FAST)[0] == EXIT_OK
    options = json.loads(out.read_text())["options"]
    assert (options["language"], options["language_from"]) == ("en", "command line")


def test_a_bad_default_is_a_usage_error_naming_its_source(capsys, clip, tmp_path, monkeypatch):
    monkeypatch.setenv(LANGUAGE_ENV, "english")
    code, stderr = run(capsys, clip, "-o", tmp_path / "x.json", *FAST)
    assert code == EXIT_USAGE and f"english (from {LANGUAGE_ENV})" in stderr
    monkeypatch.delenv(LANGUAGE_ENV)
    path = write_config(Path(str(tmp_path / "xdg")), 'language = "de')
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    code, stderr = run(capsys, clip, "-o", tmp_path / "x.json", *FAST)
    assert code == EXIT_USAGE and str(path) in stderr and not (tmp_path / "x.json").exists()
