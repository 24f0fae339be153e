"""Train and evaluate the speech-emotion model (speaker-independent cross-validation).

`train_speech_model` reproduces the shipped weights; `evaluate_speech_model` measures the recipe
with actor-wise folds (EmoBox's six folds of four RAVDESS actors), never a random clip split.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from annotator.emotion.audio import (
    FeatureRecipe,
    LinearHead,
    SpeakerNormaliser,
    SpeechEmotionModel,
    clip_features,
)
from annotator.emotion.encoder import WhisperEncoder, bundled_encoder
from annotator.emotion.labels import LABELS
from annotator.emotion.probability import softmax
from annotator.training import metrics
from annotator.training.augment import augment_audio, clip_rng
from annotator.training.calibration import fit_temperature
from annotator.training.corpora import SpeechClip, load_audio, read_corpus
from annotator.training.linear import fit_logistic_regression

# EmoBox's RAVDESS protocol: six folds of four actors each.
EMOBOX_FOLDS: tuple[tuple[int, ...], ...] = tuple(
    tuple(range(start, start + 4)) for start in range(1, 25, 4)
)
# Whisper tiny.en's second encoder layer (of four), mean + std over time, plus prosodic
# functionals: the middle layer transfers across corpora far better than the last one
# (RAVDESS <-> EMOVO, docs/speech-emotion.md), and the prosody adds a little on top.
DEFAULT_RECIPE = FeatureRecipe(statistics=("mean", "std"), layers=(2,), prosody=True)
# Inverse L2 strength of the logistic regression: 793 features from ~2,000 clips and as many
# augmented copies (chosen on the cross-corpus protocol, see docs/speech-emotion.md).
DEFAULT_C = 0.002
SPEAKER_SHRINKAGE = 10.0
# Training-only copy of every clip through a random recording chain (gain, room, noise /
# telephone / codec: annotator/training/augment.py).
DEFAULT_AUGMENTATIONS: tuple[str, ...] = ("realistic",)


@dataclass
class FeatureSet:
    """Pooled features of a corpus, one row per clip, plus augmented copies of every row."""

    features: np.ndarray  # (N, D) float32
    labels: np.ndarray  # (N,) int, index into LABELS
    speakers: np.ndarray  # (N,) str
    paths: list[str]
    # One (N, D) array per augmentation, row i = clip i transformed; used for training only.
    augmented: list[np.ndarray] = field(default_factory=list)
    augmentations: tuple[str, ...] = ()

    def save(self, path: str | Path) -> None:
        """Cache to .npz (plain arrays) so experiments need not re-encode the corpus."""
        arrays = {f"augmented_{i}": a for i, a in enumerate(self.augmented)}
        np.savez(
            path,
            features=self.features,
            labels=self.labels,
            speakers=self.speakers,
            paths=np.array(self.paths, dtype=str),
            augmentations=np.array(self.augmentations, dtype=str),
            **arrays,
        )

    @classmethod
    def concatenate(cls, sets: Sequence[FeatureSet]) -> FeatureSet:
        """Every row of `sets` in order (their speakers must already be distinct), with the
        augmented copies all of them have."""
        sets = [s for s in sets if len(s.labels)]
        copies = min(len(s.augmented) for s in sets)
        return cls(
            features=np.concatenate([s.features for s in sets]),
            labels=np.concatenate([s.labels for s in sets]),
            speakers=np.concatenate([s.speakers for s in sets]),
            paths=[p for s in sets for p in s.paths],
            augmented=[np.concatenate([s.augmented[k] for s in sets]) for k in range(copies)],
            augmentations=sets[0].augmentations[:copies],
        )

    @classmethod
    def load(cls, path: str | Path) -> FeatureSet:
        with np.load(path, allow_pickle=False) as arrays:
            names = tuple(str(a) for a in arrays["augmentations"])
            return cls(
                features=arrays["features"],
                labels=arrays["labels"],
                speakers=arrays["speakers"].astype(str),
                paths=[str(p) for p in arrays["paths"]],
                augmented=[arrays[f"augmented_{i}"] for i in range(len(names))],
                augmentations=names,
            )


@dataclass(frozen=True)
class Fold:
    fold: int
    test_speakers: tuple[str, ...]
    train: np.ndarray  # row indices
    test: np.ndarray


def extract_features(
    clips: Sequence[SpeechClip],
    encoder: WhisperEncoder | None = None,
    recipe: FeatureRecipe = DEFAULT_RECIPE,
    augmentations: Sequence[str] = (),
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> FeatureSet:
    """Decode every clip once; encode it and each augmented copy; pool with `recipe`.

    The pooled vectors then feed every fold and both heads, so the encoder runs
    len(clips) * (1 + len(augmentations)) times in all.
    """
    encoder = encoder or bundled_encoder()
    rng = np.random.default_rng(seed)  # clips are sorted, so the draws are reproducible
    rows: list[np.ndarray] = []
    augmented_rows: list[list[np.ndarray]] = [[] for _ in augmentations]
    for i, clip in enumerate(clips):
        audio = load_audio(clip.path)
        rows.append(clip_features(audio, encoder, recipe))
        for k, (kind, out) in enumerate(zip(augmentations, augmented_rows, strict=True)):
            # A realistic chain draws from its own per-clip generator, so a copy does not
            # depend on which other augmentations ran before it.
            # (k counts the realistic copies before this one: the first is always draw 0.)
            copy = augmentations[:k].count("realistic")
            draws = clip_rng(seed, i * 10 + copy) if kind == "realistic" else rng
            out.append(clip_features(augment_audio(audio, kind, draws), encoder, recipe))
        if progress is not None:
            progress(i + 1, len(clips))

    def stack(vectors: list[np.ndarray]) -> np.ndarray:
        return np.stack(vectors) if vectors else np.zeros((0, 0), dtype=np.float32)

    return FeatureSet(
        features=stack(rows),
        labels=np.array([clip.label_index for clip in clips], dtype=np.int64),
        speakers=np.array([clip.speaker for clip in clips], dtype=str),
        paths=[str(clip.path) for clip in clips],
        augmented=[stack(out) for out in augmented_rows],
        augmentations=tuple(augmentations),
    )


def _speaker_number(speaker: str) -> int | None:
    return int(speaker) if speaker.isdigit() else None


def actor_folds(
    speakers: Sequence[str], folds: Sequence[Sequence[int]] | None = EMOBOX_FOLDS
) -> list[Fold]:
    """Speaker-independent folds: every speaker's clips are on exactly one test side.

    RAVDESS actors ("01".."24") follow `folds` (EmoBox's by default). Other speakers (or when
    `folds` is None) are dealt round-robin, in sorted order, into min(6, #speakers) groups.
    """
    speakers = np.asarray([str(s) for s in speakers])
    if len(speakers) and (speakers == "").any():
        raise ValueError(
            "speaker-independent folds need a speaker for every clip (add a 'speaker' column)"
        )
    unique = sorted(set(speakers.tolist()))
    numbers = {s: _speaker_number(s) for s in unique}
    known = {n for fold in folds or () for n in fold}
    groups = []
    if folds is not None and unique and all(numbers[s] in known for s in unique):
        groups = [[s for s in unique if numbers[s] in set(fold)] for fold in folds]
        groups = [group for group in groups if group]
    if len(groups) < 2:
        # Not RAVDESS actors, or a subset that fits in one EmoBox fold: one group per speaker
        # (up to six) still gives a speaker-independent split.
        n_groups = min(6, len(unique))
        groups = [unique[g::n_groups] for g in range(n_groups)]
    result = []
    for i, group in enumerate(groups):
        if not group:
            continue
        test_mask = np.isin(speakers, group)
        result.append(
            Fold(
                fold=i + 1,
                test_speakers=tuple(group),
                train=np.flatnonzero(~test_mask),
                test=np.flatnonzero(test_mask),
            )
        )
    if len(result) < 2:
        raise ValueError("cross-validation needs at least two speakers")
    return result


def speaker_normaliser(features: np.ndarray) -> SpeakerNormaliser:
    return SpeakerNormaliser(
        features.mean(axis=0).astype(np.float64),
        features.var(axis=0).astype(np.float64),
        SPEAKER_SHRINKAGE,
    )


def fit_linear_head(
    features: np.ndarray, labels: np.ndarray, c: float = DEFAULT_C, seed: int = 0
) -> LinearHead:
    """Standardise + multinomial logistic regression over all eight labels."""
    features = np.asarray(features, dtype=np.float64)
    mean = features.mean(axis=0)
    scale = features.std(axis=0)
    scale[scale < 1e-8] = 1.0
    coef, intercept = fit_logistic_regression((features - mean) / scale, labels, c=c, seed=seed)
    return LinearHead(mean, scale, coef, intercept)


def _prepare(features: FeatureSet, speaker_norm: bool) -> tuple[np.ndarray, list[np.ndarray]]:
    """The classifier's inputs: original rows and each augmented copy."""
    if not speaker_norm:
        return features.features, features.augmented
    # Unsupervised and per speaker; the global target only matters for speakers with few clips.
    # An augmented copy is normalised with its own per-speaker statistics, as a new speaker
    # would be.
    normalise = speaker_normaliser(features.features)
    return (
        normalise(features.features, features.speakers),
        [normalise(a, features.speakers) for a in features.augmented],
    )


def _fit(
    x: np.ndarray,
    augmented: list[np.ndarray],
    labels: np.ndarray,
    rows: np.ndarray,
    c: float,
    seed: int,
) -> LinearHead:
    """Fit on `rows` of the original features plus the same rows of every augmented copy."""
    inputs = np.concatenate([x[rows]] + [a[rows] for a in augmented])
    targets = np.concatenate([labels[rows]] * (1 + len(augmented)))
    return fit_linear_head(inputs, targets, c=c, seed=seed)


def out_of_fold_logits(
    features: FeatureSet,
    folds: Sequence[Fold],
    speaker_norm: bool = False,
    c: float = DEFAULT_C,
    seed: int = 0,
) -> np.ndarray:
    """Logits for every clip from the head trained without its fold's speakers.

    Augmented copies of the training speakers' clips join the training side only; the test
    side is always the original clips.
    """
    x, augmented = _prepare(features, speaker_norm)
    logits = np.zeros((len(x), len(LABELS)))
    for fold in folds:
        head = _fit(x, augmented, features.labels, fold.train, c, seed)
        logits[fold.test] = head.logits(x[fold.test])
    return logits


def _recipe_name(recipe: FeatureRecipe) -> str:
    """ "stats" for the first recipe (last layer), else "layers2-3[-prosody]"."""
    if recipe.layers is None and not recipe.prosody:
        return "stats"
    name = "layers" + "-".join(str(i) for i in recipe.layers or ())
    return name + ("-prosody" if recipe.prosody else "")


def train_speech_model(
    data: Path | Sequence[Path],
    out: Path,
    seed: int = 0,
    encoder: WhisperEncoder | None = None,
    recipe: FeatureRecipe = DEFAULT_RECIPE,
    augmentations: Sequence[str] = DEFAULT_AUGMENTATIONS,
    c: float = DEFAULT_C,
    features: FeatureSet | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SpeechEmotionModel:
    """Train both heads on every clip of `data` (one corpus or several, each read and augmented
    on its own) and save them to `out` (.npz).

    Temperatures are fitted on out-of-fold logits (speaker-independent folds), so the shipped
    probabilities are calibrated for unseen speakers rather than for the training clips.
    """
    started = time.perf_counter()
    np.random.seed(seed)
    encoder = encoder or bundled_encoder()
    precomputed = features is not None
    sources = [Path(data)] if isinstance(data, str | Path) else [Path(d) for d in data]
    if features is None:
        sets = [
            extract_features(read_corpus(source), encoder, recipe, augmentations, seed, progress)
            for source in sources
        ]
        features = FeatureSet.concatenate(sets)
    if len(features.labels) == 0:
        raise ValueError(f"{', '.join(map(str, sources))}: no clips found")
    heads = {}
    for speaker_norm in (False, True):
        x, augmented = _prepare(features, speaker_norm)
        head = _fit(x, augmented, features.labels, np.arange(len(x)), c, seed)
        try:
            folds = actor_folds(features.speakers)
        except ValueError:
            folds = []  # no speakers: calibration cannot be held out, keep T = 1
        if folds:
            oof = out_of_fold_logits(features, folds, speaker_norm, c=c, seed=seed)
            head.temperature = fit_temperature(oof, features.labels)
        heads[speaker_norm] = head
    metadata = {
        "name": f"whisper-{encoder.name}-{_recipe_name(recipe)}-logreg",
        "encoder": encoder.name,
        "classifier": f"standardise + multinomial logistic regression (C={c})",
        "speaker_shrinkage": SPEAKER_SHRINKAGE,
        "augmentations": list(features.augmentations),
        "training_data": {
            # Folder names only: no local absolute paths in shipped weights.
            "source": "+".join(source.name for source in sources),
            "clips": int(len(features.labels)),
            "speakers": int(len(set(features.speakers.tolist()))),
            "class_counts": {
                LABELS[i]: int(n) for i, n in enumerate(np.bincount(features.labels, minlength=8))
            },
        },
        "seed": seed,
        "training_seconds": round(time.perf_counter() - started, 1),
        # When the caller passed cached features, training_seconds excludes the encoding.
        "features_precomputed": precomputed,
    }
    model = SpeechEmotionModel(
        recipe=recipe,
        head=heads[False],
        speaker_head=heads[True],
        normaliser=speaker_normaliser(features.features),
        metadata=metadata,
    )
    model.save(out)
    return model


def evaluate_speech_model(
    data: Path,
    folds: Sequence[Sequence[int]] | None = EMOBOX_FOLDS,
    speaker_norm: bool = False,
    encoder: WhisperEncoder | None = None,
    recipe: FeatureRecipe = DEFAULT_RECIPE,
    augmentations: Sequence[str] = DEFAULT_AUGMENTATIONS,
    c: float = DEFAULT_C,
    seed: int = 0,
    features: FeatureSet | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Speaker-independent cross-validation of the training recipe on `data`.

    Returns accuracy and UAR (means over folds), per-fold numbers, the pooled confusion matrix
    (rows = truth) and the expected calibration error after temperature scaling (each fold's
    temperature fitted on the other folds' out-of-fold logits).
    """
    if features is None:
        clips = read_corpus(data)
        features = extract_features(clips, encoder, recipe, augmentations, seed, progress)
    fold_list = actor_folds(features.speakers, folds)
    logits = out_of_fold_logits(features, fold_list, speaker_norm, c=c, seed=seed)
    labels = features.labels
    predicted = logits.argmax(axis=1)
    probabilities = np.zeros_like(logits)
    per_fold = []
    for fold in fold_list:
        others = np.setdiff1d(np.arange(len(labels)), fold.test)
        temperature = fit_temperature(logits[others], labels[others])
        probabilities[fold.test] = softmax(logits[fold.test], temperature)
        matrix = metrics.confusion_matrix(labels[fold.test], predicted[fold.test], len(LABELS))
        per_fold.append(
            {
                "fold": fold.fold,
                "test_speakers": list(fold.test_speakers),
                "accuracy": metrics.accuracy(matrix),
                "uar": metrics.unweighted_average_recall(matrix),
                "n": int(len(fold.test)),
            }
        )
    matrix = metrics.confusion_matrix(labels, predicted, len(LABELS))
    return {
        "task": "speech emotion, 8 classes, speaker-independent cross-validation",
        "data": str(data),
        "speaker_normalisation": speaker_norm,
        "accuracy": float(np.mean([f["accuracy"] for f in per_fold])),
        "uar": float(np.mean([f["uar"] for f in per_fold])),
        "pooled_accuracy": metrics.accuracy(matrix),
        "ece": metrics.expected_calibration_error(probabilities, labels),
        "ece_uncalibrated": metrics.expected_calibration_error(softmax(logits), labels),
        "folds": per_fold,
        "confusion_matrix": matrix.tolist(),
        # None (valid JSON) where a class never occurs in the truth.
        "per_class_recall": {
            label: (None if np.isnan(r) else float(r))
            for label, r in zip(LABELS, metrics.per_class_recall(matrix), strict=True)
        },
        "labels": list(LABELS),
        "recipe": recipe.to_dict(),
        "augmentations": list(features.augmentations),
        "n": int(len(labels)),
    }


def format_evaluation(result: dict[str, Any]) -> str:
    """Plain-text rendering: per-fold table, means, confusion matrix."""
    norm = "with" if result.get("speaker_normalisation") else "without"
    lines = [
        f"{result.get('task', 'speech emotion')} ({norm} per-speaker normalisation)",
        "",
        f"{'fold':>4}  {'test speakers':<24} {'n':>5}  {'accuracy':>8}  {'UAR':>6}",
    ]
    for fold in result["folds"]:
        speakers = ",".join(fold["test_speakers"])
        lines.append(
            f"{fold['fold']:>4}  {speakers:<24} {fold['n']:>5}  "
            f"{fold['accuracy']:>8.3f}  {fold['uar']:>6.3f}"
        )
    lines.append(
        f"{'mean':>4}  {'':<24} {result.get('n', ''):>5}  "
        f"{result['accuracy']:>8.3f}  {result['uar']:>6.3f}"
    )
    if "ece" in result:
        lines.append(
            f"ECE after temperature scaling: {result['ece']:.3f} "
            f"(before: {result['ece_uncalibrated']:.3f})"
        )
    labels = result["labels"]
    short = [label[:5] for label in labels]
    lines += ["", "confusion matrix (rows = truth, columns = predicted)"]
    lines.append(f"{'':>10}" + "".join(f"{s:>7}" for s in short) + f"{'recall':>8}")
    for label, row in zip(labels, result["confusion_matrix"], strict=True):
        total = sum(row)
        recall = row[labels.index(label)] / total if total else float("nan")
        lines.append(f"{label:>10}" + "".join(f"{v:>7}" for v in row) + f"{recall:>8.2f}")
    return "\n".join(lines)


def evaluation_json(result: dict[str, Any]) -> str:
    return json.dumps(result, indent=2)
