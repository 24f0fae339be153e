"""Temperature scaling: the one calibration step every emotion model's scores go through."""

from __future__ import annotations

import numpy as np

from annotator.emotion.probability import softmax


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature T minimising the negative log-likelihood of softmax(logits / T) on held-out
    predictions: a golden-section search on log T over [0.05, 20] (the NLL is unimodal in T)."""
    logits = np.asarray(logits, dtype=np.float64)
    labels = np.asarray(labels)
    rows = np.arange(len(labels))

    def nll(log_t: float) -> float:
        probabilities = softmax(logits, float(np.exp(log_t)))
        return float(-np.mean(np.log(probabilities[rows, labels] + 1e-12)))

    low, high = np.log(0.05), np.log(20.0)
    ratio = (np.sqrt(5) - 1) / 2
    for _ in range(60):
        a, b = high - ratio * (high - low), low + ratio * (high - low)
        if nll(a) < nll(b):
            high = b
        else:
            low = a
    return float(np.exp((low + high) / 2))
