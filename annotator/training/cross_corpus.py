"""Cross-corpus evaluation of the speech-emotion recipe: does it hear emotion in other people?

In-corpus cross-validation (RAVDESS's six actor folds) measures new speakers of the same studio,
sentences and language. The cross-corpus protocol trains on one corpus and tests on another
(RAVDESS -> EMOVO and EMOVO -> RAVDESS: other actors, language, sentences and microphones),
scored on the classes both corpora have: the test clips of shared classes, each predicted as the
most probable shared class (a classifier cannot be blamed for a class the other corpus lacks).
UAR (mean per-class recall) is the headline, since the classes are not balanced; chance is
1 / number of shared classes. A third, small check (a handful of CREMA-D clips) is scored the
same way by a head trained on both corpora.

Calibration is measured where it matters for fusion: ECE of the temperature-scaled probabilities
(temperature fitted on the training corpus's out-of-fold logits), renormalised over the shared
classes, on the other corpus.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from annotator.emotion.labels import LABELS
from annotator.emotion.probability import softmax
from annotator.training import metrics
from annotator.training.audio import (
    DEFAULT_C,
    FeatureSet,
    Fold,
    _fit,
    _prepare,
    actor_folds,
    speaker_normaliser,
)
from annotator.training.calibration import fit_temperature


@dataclass(frozen=True)
class Corpus:
    """A corpus's name and its pooled features (original clips plus augmented copies)."""

    name: str
    features: FeatureSet


def combine(sets: Sequence[FeatureSet]) -> FeatureSet:
    """One FeatureSet holding every row of `sets` (speakers must already be distinct)."""
    return FeatureSet.concatenate(sets)


def _normalised_test(
    train: FeatureSet, test: np.ndarray, speakers: np.ndarray, speaker_norm: bool
) -> np.ndarray:
    if not speaker_norm:
        return test
    return speaker_normaliser(train.features)(test, speakers)


def restricted_scores(
    logits: np.ndarray, labels: np.ndarray, classes: Sequence[int], temperature: float
) -> dict[str, Any]:
    """UAR, accuracy and ECE over `classes` only: rows whose truth is another class are
    dropped, the rest are predicted as their most probable class among `classes`."""
    classes = np.asarray(sorted(classes), dtype=np.int64)
    if not len(classes):
        raise ValueError("the training and test corpora share no emotion class")
    keep = np.isin(labels, classes)
    probabilities = softmax(logits[keep][:, classes], temperature)
    truth = np.searchsorted(classes, labels[keep])
    predicted = probabilities.argmax(axis=1)
    matrix = metrics.confusion_matrix(truth, predicted, len(classes))
    recalls = metrics.per_class_recall(matrix)
    return {
        "classes": [LABELS[i] for i in classes],
        "n": int(keep.sum()),
        "uar": metrics.unweighted_average_recall(matrix),
        "accuracy": metrics.accuracy(matrix),
        "chance_uar": 1.0 / len(classes),
        "ece": metrics.expected_calibration_error(probabilities, truth),
        "per_class_recall": {
            LABELS[c]: (None if np.isnan(r) else float(r))
            for c, r in zip(classes, recalls, strict=True)
        },
        "confusion_matrix": matrix.tolist(),
    }


def _oof_temperature(
    features: FeatureSet, speaker_norm: bool, c: float, seed: int, folds: list[Fold] | None = None
) -> float:
    """The temperature the shipped training would fit: on out-of-fold logits, speakers held out."""
    from annotator.training.audio import out_of_fold_logits

    folds = folds if folds is not None else actor_folds(features.speakers)
    logits = out_of_fold_logits(features, folds, speaker_norm, c=c, seed=seed)
    return fit_temperature(logits, features.labels)


def train_test(
    train: FeatureSet,
    test: FeatureSet,
    speaker_norm: bool = False,
    c: float = DEFAULT_C,
    seed: int = 0,
    calibrate: bool = True,
) -> dict[str, Any]:
    """Fit the recipe on every clip of `train` (plus its augmented copies), score `test`'s
    original clips on the classes both sets have."""
    x, augmented = _prepare(train, speaker_norm)
    head = _fit(x, augmented, train.labels, np.arange(len(x)), c, seed)
    temperature = _oof_temperature(train, speaker_norm, c, seed) if calibrate else 1.0
    test_x = _normalised_test(train, test.features, test.speakers, speaker_norm)
    shared = sorted(set(train.labels.tolist()) & set(test.labels.tolist()))
    result = restricted_scores(head.logits(test_x), test.labels, shared, temperature)
    return {**result, "temperature": temperature}


def joint_folds(primary: FeatureSet, extra: FeatureSet) -> tuple[FeatureSet, list[Fold]]:
    """`primary`'s speaker-independent folds (EmoBox's for RAVDESS) with every clip of `extra`
    on the training side of every fold."""
    joined = combine([primary, extra])
    extra_rows = np.arange(len(primary.labels), len(joined.labels))
    folds = [
        Fold(f.fold, f.test_speakers, np.concatenate([f.train, extra_rows]), f.test)
        for f in actor_folds(primary.speakers)
    ]
    return joined, folds


def in_corpus(
    primary: FeatureSet,
    extra: FeatureSet | None = None,
    speaker_norm: bool = False,
    c: float = DEFAULT_C,
    seed: int = 0,
) -> dict[str, Any]:
    """Speaker-independent k-fold on `primary`, all eight classes (`extra` in every fold's
    training side when given): mean accuracy and UAR over folds."""
    from annotator.training.audio import out_of_fold_logits

    if extra is not None and len(extra.labels):
        features, folds = joint_folds(primary, extra)
    else:
        features, folds = primary, actor_folds(primary.speakers)
    logits = out_of_fold_logits(features, folds, speaker_norm, c=c, seed=seed)
    accuracy, uar = [], []
    for fold in folds:
        predicted = logits[fold.test].argmax(axis=1)
        matrix = metrics.confusion_matrix(features.labels[fold.test], predicted, len(LABELS))
        accuracy.append(metrics.accuracy(matrix))
        uar.append(metrics.unweighted_average_recall(matrix))
    return {
        "folds": len(folds),
        "n": int(sum(len(f.test) for f in folds)),
        "accuracy": float(np.mean(accuracy)),
        "uar": float(np.mean(uar)),
    }


def cross_corpus_evaluation(
    first: Corpus,
    second: Corpus,
    checks: Sequence[Corpus] = (),
    speaker_norm: bool = False,
    c: float = DEFAULT_C,
    seed: int = 0,
) -> dict[str, Any]:
    """The whole protocol: `first`'s k-fold with `second` in training; first -> second and
    second -> first; both -> each check corpus."""
    both = combine([first.features, second.features])
    rows: dict[str, Any] = {
        f"{first.name} k-fold (+{second.name} in training)": in_corpus(
            first.features, second.features, speaker_norm, c, seed
        ),
        f"{first.name} -> {second.name}": train_test(
            first.features, second.features, speaker_norm, c, seed
        ),
        f"{second.name} -> {first.name}": train_test(
            second.features, first.features, speaker_norm, c, seed
        ),
    }
    for check in checks:
        rows[f"{first.name}+{second.name} -> {check.name}"] = train_test(
            both, check.features, speaker_norm, c, seed
        )
    return {
        "task": "speech emotion, cross-corpus (restricted to shared classes) and in-corpus",
        "speaker_normalisation": speaker_norm,
        "c": c,
        "augmentations": list(both.augmentations),
        "results": rows,
    }


def weights_evaluation(model: Any, corpora: Sequence[Corpus], speaker_norm: bool) -> dict:
    """Score fixed weights (a SpeechEmotionModel) on each corpus, restricted to its classes."""
    rows = {}
    for corpus in corpora:
        data = corpus.features
        probabilities = model.predict_features(
            data.features, data.speakers if speaker_norm else None
        )
        present = sorted(set(data.labels.tolist()))
        rows[f"weights -> {corpus.name}"] = restricted_scores(
            np.log(probabilities + 1e-12), data.labels, present, 1.0
        )
    return {
        "task": "speech emotion, fixed weights on whole corpora (restricted to their classes)",
        "speaker_normalisation": speaker_norm,
        "weights": model.name,
        "results": rows,
    }


def format_cross_corpus(result: dict[str, Any]) -> str:
    norm = "with" if result.get("speaker_normalisation") else "without"
    lines = [
        f"{result['task']} ({norm} per-speaker normalisation)",
        "",
        f"{'train -> test':<44} {'n':>5} {'classes':>7} {'chance':>6} "
        f"{'UAR':>6} {'acc':>6} {'ECE':>6}",
    ]
    for name, row in result["results"].items():
        classes = len(row.get("classes", LABELS))
        chance = row.get("chance_uar", 1 / len(LABELS))
        ece = f"{row['ece']:>6.3f}" if "ece" in row else f"{'':>6}"
        lines.append(
            f"{name:<44} {row['n']:>5} {classes:>7} {chance:>6.3f} "
            f"{row['uar']:>6.3f} {row['accuracy']:>6.3f} {ece}"
        )
    return "\n".join(lines)


def corpus_features(
    data: Any,
    recipe: Any,
    augmentations: Sequence[str],
    encoder: Any = None,
    seed: int = 0,
    per_speaker: int = 0,
    cache: Any = None,
    progress: Any = None,
) -> Corpus:
    """Read a corpus folder (RAVDESS, EMOVO or CREMA-D names) or CSV and pool its features.

    per_speaker > 0 keeps that many clips of each speaker, spread over them (a quick check);
    `cache` (a folder) keeps the pooled features keyed by corpus, recipe and augmentations, so
    a second run, or another evaluation of the same features, does not encode again.
    """
    import hashlib
    import json
    from pathlib import Path

    from annotator.training.audio import extract_features
    from annotator.training.corpora import corpus_kind, read_corpus

    data = Path(data)
    clips = read_corpus(data)
    if not clips:
        raise ValueError(f"{data}: no labelled clips found")
    if per_speaker:
        # Spread evenly over each speaker's clips (sorted by path, which groups emotions in
        # RAVDESS and EMOVO), so a small subset still has several classes.
        by_speaker: dict[str, list[Any]] = {}
        for clip in clips:
            by_speaker.setdefault(clip.speaker, []).append(clip)
        picked = set()
        for own in by_speaker.values():
            count = min(per_speaker, len(own))
            picked |= {str(own[i].path) for i in np.linspace(0, len(own) - 1, count).astype(int)}
        clips = [clip for clip in clips if str(clip.path) in picked]
    kind = corpus_kind(data)
    name = data.stem if kind == "csv" else kind
    target = None
    if cache is not None:
        key = json.dumps(
            [str(data.resolve()), recipe.to_dict(), list(augmentations), seed, per_speaker]
        )
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        target = Path(cache) / f"{name}-{digest}.npz"
        if target.is_file():
            return Corpus(name, FeatureSet.load(target))
    features = extract_features(clips, encoder, recipe, augmentations, seed, progress)
    if target is not None:
        target.parent.mkdir(parents=True, exist_ok=True)
        features.save(target)
    return Corpus(name, features)
