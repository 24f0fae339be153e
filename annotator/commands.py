"""`annotate train ...` and `annotate evaluate ...`: reproduce and measure the emotion models.

Each command is a thin shell over the training / evaluation functions of its model's module.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Optional

import typer

train_app = typer.Typer(
    add_completion=False,
    rich_markup_mode=None,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="Retrain an emotion model (seeded: reproduces the shipped weights).",
)
evaluate_app = typer.Typer(
    add_completion=False,
    rich_markup_mode=None,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="Measure an emotion model; --json prints one machine-readable object.",
)

DataOption = Annotated[Path, typer.Option("--data", help="Training / evaluation data.")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
WeightsOption = Annotated[
    Optional[Path],  # noqa: UP045  Typer reads the annotation at run time
    typer.Option("--weights", help="Weights to evaluate. Default: the shipped ones."),
]


def _require(path: Path) -> None:
    if not path.exists():
        typer.echo(f"annotate: error: {path}: no such file or folder", err=True)
        raise typer.Exit(2)


def _report(result: dict, as_json: bool, render) -> None:
    typer.echo(json.dumps(result, indent=2) if as_json else render(result))


@train_app.command("face")
def train_face(
    data: DataOption,
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the weights.")],
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    epochs: Annotated[int, typer.Option(help="Training epochs.")] = 8,
) -> None:
    """Train the face-expression network on FER2013 (the npz), calibrate it on PublicTest."""
    from annotator.emotion.train_face import train_face_model

    _require(data)
    started = time.perf_counter()
    result = train_face_model(data, output, seed=seed, epochs=epochs)
    typer.echo(
        f"wrote {result.weights}: validation accuracy {result.val_accuracy:.4f}, "
        f"temperature {result.temperature:.3f}, ECE {result.val_ece_before:.4f} -> "
        f"{result.val_ece_after:.4f}, {time.perf_counter() - started:.0f} s"
    )


@evaluate_app.command("face")
def evaluate_face(data: DataOption, weights: WeightsOption = None, json_: JsonFlag = False) -> None:
    """FER2013 PrivateTest accuracy, per-class recall and confusion matrix (or a folder of
    <label>/*.png|jpg faces)."""
    from annotator.emotion.train_face import evaluate_face_model, render_face_evaluation

    _require(data)
    _report(evaluate_face_model(data, weights), json_, render_face_evaluation)
