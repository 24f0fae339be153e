"""What every `annotate` command shares: exit codes, the error console, a usage error."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

EXIT_OK = 0
EXIT_FAILED = 1  # one or more inputs could not be annotated
EXIT_USAGE = 2  # bad arguments: missing input, unknown format, model that cannot load
EXIT_INTERRUPTED = 130  # Ctrl-C or SIGTERM; finished outputs are intact, the rest resume

INTERRUPTED_MESSAGE = "annotate: interrupted; finished outputs are complete, rerun to resume"

# Shared by `annotate -o x.html`, `annotate report` and `annotate convert`.
EmbedMedia = Annotated[
    bool, typer.Option(help="HTML: put the recording inside the page (small recordings).")
]

stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def fail_usage(message: str) -> typer.Exit:
    """Say a usage error in one line; the caller raises what this returns (exit 2)."""
    stderr.print(f"annotate: error: {message}", markup=False)
    return typer.Exit(EXIT_USAGE)


def app_for(command) -> typer.Typer:
    """A one-command Typer app with the project's help options and plain help text."""
    app = typer.Typer(
        add_completion=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.command()(command)
    return app
