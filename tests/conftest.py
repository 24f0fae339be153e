from __future__ import annotations

import pytest
from helpers import SAMPLES, SHARED


@pytest.fixture(scope="session")
def shared():
    if not SHARED.is_dir():
        pytest.skip(f"needs ../shared (the project's data and media), absent at {SHARED}")
    return SHARED


@pytest.fixture(scope="session")
def annotator():
    """The real pipeline with its models, loaded once for the whole test run."""
    from annotator.pipeline import Annotator, Options

    return Annotator(Options())


@pytest.fixture(scope="session")
def samples():
    if not (SAMPLES / "meeting.mp4").is_file():
        pytest.skip("sample_meetings/ has not been composed")
    return SAMPLES


@pytest.fixture(autouse=True)
def no_user_language(monkeypatch, tmp_path_factory):
    """A tester's own default language (environment or config file) must not change results."""
    from annotator.user_config import LANGUAGE_ENV

    monkeypatch.delenv(LANGUAGE_ENV, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.getbasetemp() / "no-config"))
