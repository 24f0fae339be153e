"""A user's own defaults, for people who always record in one language.

`language` comes from, in order: the command line (`--language`), the environment variable
`ANNOTATOR_LANGUAGE`, then `language = "de"` in `$XDG_CONFIG_HOME/annotator/config.toml`
(`~/.config/annotator/config.toml` when XDG_CONFIG_HOME is unset). The transcript's
`options.language_from` records which one was used.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path

LANGUAGE_ENV = "ANNOTATOR_LANGUAGE"
COMMAND_LINE = "command line"


def config_path(environ: Mapping[str, str] = os.environ) -> Path:
    base = environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "annotator" / "config.toml"


def default_language(environ: Mapping[str, str] = os.environ) -> tuple[str | None, str | None]:
    """(language code, where it came from) when the user set a default; (None, None) when not.

    Raises ValueError with a one-line reason for a config file that cannot be read."""
    code = environ.get(LANGUAGE_ENV, "").strip()
    if code:
        return code.lower(), LANGUAGE_ENV
    path = config_path(environ)
    if not path.is_file():
        return None, None
    try:
        settings = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ValueError(f"{path}: not a readable TOML file ({error})") from None
    value = settings.get("language")
    if value is None:
        return None, None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f'{path}: language must be a language code in quotes, e.g. "en"')
    return value.strip().lower(), str(path)


def chosen_language(given: str | None) -> tuple[str | None, str | None]:
    """The language for a run and where it came from: the command line's when given, else the
    user's default (ValueError for a bad one, naming where it came from)."""
    if given:
        return given, COMMAND_LINE
    return default_language()
