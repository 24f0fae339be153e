"""Multinomial logistic regression with its weights laid out over all of the project's labels."""

from __future__ import annotations

import numpy as np

from annotator.emotion.labels import LABELS

# The bias of a class the training data never showed: its probability is then ~e^-30 of the
# others', i.e. zero, while staying finite (an infinite bias turns into NaN under arithmetic).
ABSENT_CLASS_BIAS = -30.0


def fit_logistic_regression(
    features: np.ndarray,
    labels: np.ndarray,
    c: float = 1.0,
    seed: int = 0,
    max_iter: int = 3000,
    n_classes: int = len(LABELS),
) -> tuple[np.ndarray, np.ndarray]:
    """(coef (n_classes, dim), intercept (n_classes,)) of an L2 logistic regression (lbfgs:
    deterministic for a given input), expanded to every class index below `n_classes` even when
    the data lacks some of them (a small corpus, a held-out fold)."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=max_iter, random_state=seed)
    model.fit(np.asarray(features, dtype=np.float64), labels)
    coef = np.zeros((n_classes, np.shape(features)[1]))
    intercept = np.full(n_classes, ABSENT_CLASS_BIAS)
    classes = model.classes_.astype(int)
    if len(classes) == 2:  # sklearn stores one row for two classes: the logit of the second
        coef[classes[1]], intercept[classes[1]] = model.coef_[0], model.intercept_[0]
        coef[classes[0]], intercept[classes[0]] = 0.0, 0.0
    else:
        coef[classes], intercept[classes] = model.coef_, model.intercept_
    return coef, intercept
