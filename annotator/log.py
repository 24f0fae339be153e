"""Warnings about a recording go through `logging`, under the "annotator" logger.

A stage that has something to tell the user (a damaged audio stream, speech that is not English)
calls `warn(__name__, "...")` (or any `logging.getLogger("annotator....").warning`). While a
recording is annotated, `collect_warnings()` gathers those records, one line each, for the
transcript's `source.warnings`; the records still reach the application's own logging set-up,
so a library user can route them anywhere. The `annotate` command installs `CommandLineHandler`,
which prints warnings that arise outside a recording; a recording's own warnings are printed
with the recording's name when its result comes back (from any runner, Ray included).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

ROOT = "annotator"

_local = threading.local()  # the lists collecting this thread's warnings, innermost last


def warn(module: str, message: str) -> None:
    """Log a one-line warning for the user from `module` (a name under "annotator")."""
    logging.getLogger(module).warning(" ".join(message.split()))


class _Collector(logging.Handler):
    def __init__(self, into: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.into = into
        self.thread = threading.get_ident()

    def emit(self, record: logging.LogRecord) -> None:
        # Another thread's recording (a library user annotating in parallel) is not this one's.
        if record.thread == self.thread:
            self.into.append(" ".join(record.getMessage().split()))


@contextmanager
def collect_warnings() -> Iterator[list[str]]:
    """The "annotator" warnings this thread logs during the block, one line each, in order
    (`unique` drops repeats)."""
    found: list[str] = []
    logger = logging.getLogger(ROOT)
    handler = _Collector(found)
    stack = _local.__dict__.setdefault("stack", [])
    # The logger must let warnings through even where the application set nothing up.
    if logger.getEffectiveLevel() > logging.WARNING:
        logger.setLevel(logging.WARNING)
    logger.addHandler(handler)
    stack.append(found)
    try:
        yield found
    finally:
        stack.pop()
        logger.removeHandler(handler)


def collecting() -> bool:
    """Whether this thread is inside collect_warnings() (its warnings belong to a recording)."""
    return bool(getattr(_local, "stack", None))


def unique(lines: list[str]) -> list[str]:
    """Each line once, in order of first appearance."""
    return list(dict.fromkeys(lines))


class CommandLineHandler(logging.Handler):
    """Prints "annotate: warning: ..." through `print_line` for warnings outside a recording."""

    def __init__(self, print_line: Callable[[str], None]) -> None:
        super().__init__(logging.WARNING)
        self.print_line = print_line

    def emit(self, record: logging.LogRecord) -> None:
        if collecting():
            return  # printed with its recording's name when the recording's result comes back
        self.print_line(f"annotate: warning: {' '.join(record.getMessage().split())}")


def install_command_line_handler(print_line: Callable[[str], None]) -> CommandLineHandler:
    """Route the "annotator" warnings to `print_line` (the command's stderr) and not also to
    Python's last-resort handler."""
    logger = logging.getLogger(ROOT)
    for old in [h for h in logger.handlers if isinstance(h, CommandLineHandler)]:
        logger.removeHandler(old)
    handler = CommandLineHandler(print_line)
    logger.addHandler(handler)
    if logger.getEffectiveLevel() > logging.WARNING:
        logger.setLevel(logging.WARNING)
    return handler
