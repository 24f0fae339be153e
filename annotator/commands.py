"""`annotate train ...` and `annotate evaluate ...`: reproduce and measure the emotion models.

Each command is a thin shell over the training / evaluation functions of its model's module.
"""

from __future__ import annotations

import json
import time
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from annotator.options import Options


def _group(help: str) -> typer.Typer:
    return typer.Typer(
        add_completion=False,
        rich_markup_mode=None,
        no_args_is_help=True,
        context_settings={"help_option_names": ["-h", "--help"]},
        help=help,
    )


# The face networks `annotate train face` can train (a choice, as the CLI's other choices).
FaceArch = Enum("FaceArch", {name: name for name in ("vgg", "mini-xception")}, type=str)
DEFAULT_FACE_ARCH = FaceArch("vgg")

train_app = _group("Retrain an emotion model (seeded: reproduces the shipped weights).")
evaluate_app = _group("Measure an emotion model; --json prints one machine-readable object.")

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


def _progress(step: int = 100):
    """A progress(i, n) callback that says on stderr how far feature extraction is."""

    def report(done: int, total: int) -> None:
        if done % step == 0 or done == total:
            typer.echo(f"features: {done}/{total} clips", err=True)

    return report


def _report(result: dict, as_json: bool, render) -> None:
    typer.echo(json.dumps(result, indent=2) if as_json else render(result))


@train_app.command("face")
def train_face(
    data: DataOption,
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the weights.")],
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    epochs: Annotated[int, typer.Option(help="Training epochs.")] = 8,
    lr: Annotated[float, typer.Option(help="Peak SGD learning rate.")] = 0.05,
    init: Annotated[
        Path | None,
        typer.Option(help="Continue from these weights (or fer's .hdf5 for mini-xception)."),
    ] = None,
    arch: Annotated[FaceArch, typer.Option(help="Which network.")] = DEFAULT_FACE_ARCH,
) -> None:
    """Train the face-expression network on FER2013 (the npz), calibrate it on PublicTest."""
    from annotator.training.face import TrainConfig, train_face_model

    _require(data)
    if init is not None:
        _require(init)
    started = time.perf_counter()
    # mini-XCEPTION learnt whole 48x48 faces (scaled to 64); FaceNet learns 44x44 crops.
    side = 48 if arch.value == "mini-xception" else 44
    config = TrainConfig(lr=lr, init=init, arch=arch.value, train_side=side)
    result = train_face_model(data, output, seed=seed, epochs=epochs, config=config)
    typer.echo(
        f"wrote {result.weights}: validation accuracy {result.val_accuracy:.4f}, "
        f"temperature {result.temperature:.3f}, ECE {result.val_ece_before:.4f} -> "
        f"{result.val_ece_after:.4f}, {time.perf_counter() - started:.0f} s"
    )


@train_app.command("face-ensemble")
def train_face_ensemble(
    data: DataOption,
    members: Annotated[
        list[Path], typer.Argument(help="Trained face networks (from `annotate train face`).")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the ensemble.")],
) -> None:
    """Combine face networks into one model: mixing weights, class balance and temperature are
    fitted on FER2013 PublicTest."""
    from annotator.training.face import combine_face_models

    _require(data)
    for member in members:
        _require(member)
    ensemble = combine_face_models(data, members, output)
    fit = ensemble.meta.training
    typer.echo(
        f"wrote {output}: weights {', '.join(f'{w:.2f}' for w in ensemble.meta.weights)}, "
        f"balance tau {fit['balance_tau']:.2f}, temperature {ensemble.meta.temperature:.3f}, "
        f"validation accuracy {fit['val_accuracy']:.4f}, UAR {fit['val_uar']:.4f}"
    )


@evaluate_app.command("face")
def evaluate_face(data: DataOption, weights: WeightsOption = None, json_: JsonFlag = False) -> None:
    """FER2013 PrivateTest accuracy, per-class recall and confusion matrix (or a folder of
    <label>/*.png|jpg faces)."""
    from annotator.training.face import evaluate_face_model, render_face_evaluation

    _require(data)
    _report(evaluate_face_model(data, weights), json_, render_face_evaluation)


@train_app.command("audio")
def train_audio(
    data: Annotated[
        list[Path],
        typer.Option(
            "--data",
            help="Training corpora (repeatable): RAVDESS/EMOVO-layout folders or CSVs.",
        ),
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the weights.")],
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Train the speech-emotion model on one or more corpora (the shipped weights: RAVDESS and
    EMOVO)."""
    from annotator.training.audio import train_speech_model

    for path in data:
        _require(path)
    started = time.perf_counter()
    try:
        model = train_speech_model(data, output, seed=seed, progress=_progress())
    except ValueError as problem:
        typer.echo(f"annotate: error: {problem}", err=True)
        raise typer.Exit(2) from problem
    clips = model.metadata.get("training_data", {}).get("clips", "?")
    written = output if output.suffix == ".npz" else output.with_suffix(".npz")
    typer.echo(f"wrote {written}: {clips} clips, {time.perf_counter() - started:.0f} s")


@evaluate_app.command("audio")
def evaluate_audio(
    data: DataOption,
    speaker_norm: Annotated[
        bool, typer.Option(help="Standardise voice features per speaker (needs speaker ids).")
    ] = False,
    cross: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(
            help="A second corpus (e.g. an EMOVO folder): train on each, test on the other, "
            "on the classes both have; --data's k-fold then keeps this corpus in training."
        ),
    ] = None,
    check: Annotated[
        Optional[list[Path]],  # noqa: UP045
        typer.Option(
            metavar="<path>",
            help="Small extra test corpora (CREMA-D clips), scored by both corpora; repeatable.",
        ),
    ] = None,
    weights: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(help="Score these fixed weights on every corpus given instead of training."),
    ] = None,
    per_speaker: Annotated[
        int, typer.Option(help="Use N clips of each speaker, spread over them (a quick check).")
    ] = 0,
    cache: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(help="Folder that keeps pooled features between runs."),
    ] = None,
    json_: JsonFlag = False,
) -> None:
    """Speaker-independent cross-validation (EmoBox: 6 folds of 4 actors; for a CSV, folds by
    speaker); with --cross, the cross-corpus protocol; with --weights, fixed weights scored on
    every corpus given."""
    from annotator.training.audio import (
        DEFAULT_AUGMENTATIONS,
        DEFAULT_RECIPE,
        evaluate_speech_model,
        format_evaluation,
    )
    from annotator.training.cross_corpus import (
        corpus_features,
        cross_corpus_evaluation,
        format_cross_corpus,
        weights_evaluation,
    )

    paths = [data] + ([cross] if cross else []) + list(check or [])
    for path in paths:
        _require(path)
    if weights is None and cross is None and not check and not per_speaker:
        result = evaluate_speech_model(data, speaker_norm=speaker_norm, progress=_progress())
        _report(result, json_, format_evaluation)
        return
    from annotator.emotion.encoder import bundled_encoder

    encoder = bundled_encoder(threads=1)
    try:
        if weights is not None:
            from annotator.emotion.audio import SpeechEmotionModel

            _require(weights)
            model = SpeechEmotionModel.load(weights)
            corpora = [
                corpus_features(p, model.recipe, (), encoder, 0, per_speaker, cache, _progress())
                for p in paths
            ]
            result = weights_evaluation(model, corpora, speaker_norm)
        else:
            corpora = [
                corpus_features(
                    p,
                    DEFAULT_RECIPE,
                    DEFAULT_AUGMENTATIONS,
                    encoder,
                    0,
                    per_speaker,
                    cache,
                    _progress(),
                )
                for p in paths
            ]
            if cross is None:
                typer.echo(
                    "annotate: error: --check and --per-speaker need --cross (or --weights)",
                    err=True,
                )
                raise typer.Exit(2)
            result = cross_corpus_evaluation(
                corpora[0], corpora[1], corpora[2:], speaker_norm=speaker_norm
            )
    except ValueError as problem:
        typer.echo(f"annotate: error: {problem}", err=True)
        raise typer.Exit(2) from problem
    _report(result, json_, format_cross_corpus)


def _clip_evidence(clips, options: Options):
    """The emotion stage and the face detector as `annotate` would load them for `options`, and
    what they say about each whole clip."""
    from annotator.emotion.encoder import bundled_encoder
    from annotator.emotion.tagger import EmotionTagger
    from annotator.faces import FaceDetector
    from annotator.training.fusion import clip_evidence

    tagger = EmotionTagger(
        encoder=bundled_encoder(options.threads),
        speech_weights=options.speech_weights,
        face_weights=options.face_weights,
        fusion_weights=options.fusion_weights,
        text=False,  # whole labelled clips, no transcription: voice and face only
    )
    detector = FaceDetector(detect_width=options.detect_width)
    return tagger, clip_evidence([clip.path for clip in clips], tagger, detector, options)


@train_app.command("multimodal")
def train_multimodal(
    data: Annotated[
        list[Path],
        typer.Option("--data", help="Folder(s) of labelled audio-video clips (RAVDESS layout)."),
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the head.")],
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Fit the joint model's fusion head on the voice and face models' outputs for labelled
    audio-video clips (speakers held out for the reported accuracy). Use the result with
    `annotate --fusion-weights FILE`."""
    from annotator.training.corpora import read_labelled_clips
    from annotator.training.fusion import train_learned_fusion

    for folder in data:
        _require(folder)
    clips = read_labelled_clips(data)
    if not clips:
        typer.echo("annotate: error: no labelled audio-video clips found", err=True)
        raise typer.Exit(2)
    _, evidence = _clip_evidence(clips, Options())
    report = train_learned_fusion(clips, evidence, output, seed)
    typer.echo(json.dumps({"weights": str(output), **report}, indent=2))


@evaluate_app.command("fusion")
def evaluate_fusion(
    data: Annotated[
        list[Path],
        typer.Option(
            "--data",
            help="Folder(s) of labelled clips: RAVDESS (audio-video or audio-only) or CREMA-D "
            "names.",
        ),
    ],
    fusion_weights: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(help="A learned fusion head (train multimodal). Default: late fusion."),
    ] = None,
    limit: Annotated[int, typer.Option(help="Use at most this many clips (0 = all).")] = 0,
    json_: JsonFlag = False,
) -> None:
    """Per clip: the voice, face and fused labels against the truth; for clips without a face,
    a check that the fused scores equal the voice model's."""
    from annotator.training.corpora import read_labelled_clips
    from annotator.training.fusion import evaluate_fusion, render_fusion_evaluation

    for folder in data:
        _require(folder)
    clips = read_labelled_clips(data)
    if limit:
        clips = clips[:limit]
    if not clips:
        typer.echo("annotate: error: no labelled clips found", err=True)
        raise typer.Exit(2)
    options = Options(fusion="learned" if fusion_weights else "late", fusion_weights=fusion_weights)
    tagger, evidence = _clip_evidence(clips, options)
    result = evaluate_fusion(clips, evidence, tagger.fusion)
    _report(result, json_, render_fusion_evaluation)


@train_app.command("text")
def train_text(
    data: DataOption,
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the weights.")],
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    limit: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(help="Use only the first N utterances of each split (a quick check)."),
    ] = None,
) -> None:
    """Train the text emotion + sentiment model on MELD (the folder of its three CSVs)."""
    from annotator.training.text import train_text_model

    _require(data)
    started = time.perf_counter()
    report = train_text_model(data, output, seed=seed, limit=limit)
    typer.echo(json.dumps({"weights": str(output), **_plain(report)}, indent=2))
    typer.echo(f"{time.perf_counter() - started:.0f} s", err=True)


@evaluate_app.command("text")
def evaluate_text(
    data: DataOption,
    weights: WeightsOption = None,
    split: Annotated[str, typer.Option(help="MELD split: test or dev.")] = "test",
    context: Annotated[
        bool, typer.Option(help="Give the model the previous turns of each dialogue.")
    ] = True,
    limit: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(help="Use only the first N utterances (a quick check)."),
    ] = None,
    json_: JsonFlag = False,
) -> None:
    """MELD accuracy, UAR and weighted F1 (its papers' metric) for emotion and sentiment."""
    from annotator.training.text import evaluate_text_model, render_text_evaluation

    _require(data)
    result = evaluate_text_model(data, weights, split=split, limit=limit, context=context)
    _report(_plain(result), json_, render_text_evaluation)


def _plain(value):
    """JSON-ready: numpy arrays and numbers as lists and floats."""
    import numpy as np

    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value
