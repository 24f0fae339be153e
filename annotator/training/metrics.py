"""Classification metrics shared by every `annotate evaluate` command."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np


def confusion_matrix(truth: Sequence[int], predicted: Sequence[int], n_classes: int) -> np.ndarray:
    """Counts with rows = true class, columns = predicted class."""
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    for t, p in zip(truth, predicted, strict=True):
        matrix[t, p] += 1
    return matrix


def accuracy(matrix: np.ndarray) -> float:
    total = matrix.sum()
    return float(np.trace(matrix) / total) if total else 0.0


def unweighted_average_recall(matrix: np.ndarray) -> float:
    """Mean of per-class recalls over the classes that occur in the truth."""
    support = matrix.sum(axis=1)
    present = support > 0
    if not present.any():
        return 0.0
    return float(np.mean(np.diag(matrix)[present] / support[present]))


def per_class_recall(matrix: np.ndarray) -> np.ndarray:
    """Recall per class; NaN where a class never occurs in the truth."""
    support = matrix.sum(axis=1).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.diag(matrix) / support


def expected_calibration_error(
    probabilities: np.ndarray, truth: Sequence[int], bins: int = 15
) -> float:
    """ECE: the gap between confidence and accuracy, averaged over equal-width confidence bins."""
    probabilities = np.asarray(probabilities, dtype=float)
    truth = np.asarray(truth)
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == truth
    edges = np.linspace(0.0, 1.0, bins + 1)
    error = 0.0
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        in_bin = (confidence > low) & (confidence <= high)
        if in_bin.any():
            error += in_bin.mean() * abs(correct[in_bin].mean() - confidence[in_bin].mean())
    return float(error)


def weighted_f1(matrix: np.ndarray) -> float:
    """F1 per class averaged with the classes' true counts as weights (MELD's headline metric)."""
    matrix = np.asarray(matrix, dtype=float)
    support = matrix.sum(axis=1)
    predicted = matrix.sum(axis=0)
    true_positive = np.diag(matrix)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(predicted > 0, true_positive / predicted, 0.0)
        recall = np.where(support > 0, true_positive / support, 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    total = support.sum()
    return float((f1 * support).sum() / total) if total else 0.0


_DIGITS = "zero one two three four five six seven eight nine".split()


def transcript_words(text: str) -> list[str]:
    """Lower-case words without punctuation, digits spelled out: Whisper writes GRID's "k seven"
    as "K7", which is the same speech."""
    text = re.sub(r"(?<=[A-Za-z])(?=\d)", " ", text)
    text = re.sub(r"\d", lambda m: f" {_DIGITS[int(m.group())]} ", text)
    return re.sub(r"[^a-z' ]+", " ", text.lower()).split()


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word-level Levenshtein distance / reference length, after `transcript_words`."""
    ref, hyp = transcript_words(reference), transcript_words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, start=1):
        previous, row[0] = row[0], i
        for j, h in enumerate(hyp, start=1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (r != h))
    return row[-1] / max(1, len(ref))


# Conversations do not tell neutral from calm: scored as one.
SAME_EMOTION = {"calm": "neutral"}


def _same(label: str | None, truth: str) -> bool:
    return label is not None and SAME_EMOTION.get(label, label) == SAME_EMOTION.get(truth, truth)


def _overlap(a: dict, b: dict) -> float:
    return max(0.0, min(a["end"], b["end"]) - max(a["start"], b["start"]))


def emotion_agreement(transcript: dict, truth: dict) -> dict:
    """A JSON transcript's emotion labels against a ground-truth file's, utterance by utterance.

    Each true utterance is matched to the transcript utterance that overlaps it most (none: the
    turn was missed, and counts as wrong). Returns {"rows": one per true utterance (truth, fused
    label and each branch's), "fused"/"audio"/"face"/"text": (right, judged)}.
    """
    rows = []
    for true in truth["utterances"]:
        if true.get("emotion") is None:
            continue
        best = max(transcript["utterances"], key=lambda u: _overlap(u, true), default=None)
        if best is not None and _overlap(best, true) <= 0:
            best = None  # no utterance covers this turn: it counts as missed
        emotion = (best or {}).get("emotion") or {}
        row = {"start": true["start"], "words": true["text"], "truth": true["emotion"]}
        row["fused"] = emotion.get("label")
        for branch in ("audio", "face", "text"):
            row[branch] = (emotion.get(branch) or {}).get("label")
        rows.append(row)

    def right(branch: str) -> tuple[int, int]:
        # The fused label is judged on every true turn (a missed turn is wrong); a branch only
        # where it had something to say.
        judged = rows if branch == "fused" else [r for r in rows if r[branch] is not None]
        hits = sum(
            SAME_EMOTION.get(r[branch], r[branch]) == SAME_EMOTION.get(r["truth"], r["truth"])
            for r in judged
        )
        return hits, len(judged)

    return {"rows": rows, **{b: right(b) for b in ("fused", "audio", "face", "text")}}
