"""Where annotator keeps what it derives once and reuses: converted and reassembled models."""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "ANNOTATOR_CACHE_DIR"  # overrides the location (tests point it at a tmp dir)


def cache_dir() -> Path:
    """$ANNOTATOR_CACHE_DIR, else $XDG_CACHE_HOME/annotator, else ~/.cache/annotator.

    Not created here: callers create the subfolder they write to.
    """
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "annotator"
