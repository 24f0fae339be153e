from __future__ import annotations

import pytest
from helpers import SAMPLES, SHARED

_loaded: dict[str, object] = {}


def default_annotator():
    """The real pipeline with the default options and its models, loaded once per test run."""
    if "default" not in _loaded:
        from annotator.pipeline import Annotator, Options

        _loaded["default"] = Annotator(Options())
    return _loaded["default"]


@pytest.fixture(scope="session")
def shared():
    if not SHARED.is_dir():
        pytest.skip(f"needs ../shared (the project's data and media), absent at {SHARED}")
    return SHARED


@pytest.fixture(scope="session")
def annotator():
    """The real pipeline with its models, loaded once for the whole test run."""
    return default_annotator()


@pytest.fixture(scope="session", autouse=True)
def cli_reuses_the_loaded_pipeline():
    """In-process `annotate` runs with the default options get the session's loaded pipeline
    (annotator.worker.load_annotator) rather than loading every model again; other options, and
    worker processes and subprocesses, load their own."""
    from annotator import worker
    from annotator.options import Options

    load = worker.load_annotator

    def shared_when_default(options: Options):
        return default_annotator() if options == Options() else load(options)

    worker.load_annotator = shared_when_default
    yield
    worker.load_annotator = load


@pytest.fixture
def fresh_models(monkeypatch):
    """For a test about loading itself: the CLI loads its models again, as a user's run does."""
    from annotator import worker
    from annotator.pipeline import Annotator

    monkeypatch.setattr(worker, "load_annotator", Annotator)


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
