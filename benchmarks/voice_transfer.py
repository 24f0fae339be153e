"""Screen voice-feature recipes on the cross-corpus protocol, from cached features.

    python benchmarks/voice_features.py --model tiny.en --copies 1 --out /work/voice-cache
    python benchmarks/voice_transfer.py --cache /work/voice-cache [--only NAME] [--arousal]

Every recipe is scored as `annotate evaluate audio --cross` scores it
(annotator/training/cross_corpus.py): RAVDESS -> EMOVO and EMOVO -> RAVDESS UAR on the shared
classes, RAVDESS+EMOVO -> the 12 CREMA-D clips, and RAVDESS's six actor folds with EMOVO in
every fold's training side; with and without per-speaker normalisation. `--arousal` compares
a ridge regression on the circumplex arousal of the labels with the arousal the categorical
head's probabilities imply (Spearman and high-vs-low AUC on the other corpus).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from annotator.training.audio import FeatureSet
from annotator.training.cross_corpus import combine, in_corpus, train_test

# name -> (encoder, layer indices into the cache, prosody, realistic copy). tiny.en's cache
# index 5 (base: 7) is the last layer after the final norm, 4 (base: 6) the same before it.
# "ct2" = CTranslate2's own pooled last layer (int8): the first model's exact features.
RECIPES: dict[str, tuple[str, tuple[Any, ...], bool, bool]] = {
    "first model's features (CT2 last layer)": ("tiny.en", ("ct2",), False, False),
    "tiny last (final norm)": ("tiny.en", (5,), False, False),
    "tiny layer 1": ("tiny.en", (1,), False, False),
    "tiny layer 2": ("tiny.en", (2,), False, False),
    "tiny layer 3": ("tiny.en", (3,), False, False),
    "tiny layer 4": ("tiny.en", (4,), False, False),
    "tiny layers 2+3": ("tiny.en", (2, 3), False, False),
    "tiny layers 1-4": ("tiny.en", (1, 2, 3, 4), False, False),
    "prosody only": ("tiny.en", (), True, False),
    "tiny layers 2+3 + prosody": ("tiny.en", (2, 3), True, False),
    "tiny layer 2 + prosody": ("tiny.en", (2,), True, False),
    "tiny layer 2 + realistic copy": ("tiny.en", (2,), False, True),
    "tiny layer 2 + prosody + realistic copy": ("tiny.en", (2,), True, True),
    "tiny last + realistic copy": ("tiny.en", (5,), False, True),
    "tiny layers 2+3 + realistic copy": ("tiny.en", (2, 3), False, True),
    "tiny layers 2+3 + prosody + realistic copy": ("tiny.en", (2, 3), True, True),
    "base last (final norm)": ("base", (7,), False, False),
    "base layer 3": ("base", (3,), False, False),
    "base layer 4": ("base", (4,), False, False),
    "base layers 3+4": ("base", (3, 4), False, False),
    "base layer 2": ("base", (2,), False, False),
    "base layer 3 + prosody": ("base", (3,), True, False),
    "tiny layer 2 + prosody, no copy": ("tiny.en", (2,), True, False),
}


class Cache:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.arrays: dict[tuple[str, str], dict[str, np.ndarray]] = {}

    def raw(self, model: str, corpus: str) -> dict[str, np.ndarray]:
        if (model, corpus) not in self.arrays:
            with np.load(self.folder / f"{model}_{corpus}.npz") as data:
                self.arrays[model, corpus] = dict(data)
        return self.arrays[model, corpus]

    def features(
        self, model: str, corpus: str, layers: tuple[Any, ...], prosody: bool, copy: bool
    ) -> FeatureSet:
        a = self.raw(model, corpus)

        def version(v: int) -> np.ndarray:
            parts = [a["ct2"] if i == "ct2" else a[f"layers_{v}"][:, i] for i in layers]
            if prosody:
                parts.append(a[f"prosody_{v}"])
            return np.concatenate(parts, axis=1).astype(np.float32)

        augmented = [version(1)] if copy and "layers_1" in a else []
        return FeatureSet(
            version(0),
            a["labels"].astype(np.int64),
            a["speakers"].astype(str),
            [str(p) for p in a["paths"]],
            augmented,
            ("realistic",) * len(augmented),
        )


def score(
    cache: Cache, recipe: tuple, norm: bool, c: float, calibrate: bool, quick: bool = False
) -> dict[str, Any]:
    model, layers, prosody, copy = recipe
    ravdess = cache.features(model, "ravdess", layers, prosody, copy)
    emovo = cache.features(model, "emovo", layers, prosody, copy)
    crema = cache.features(model, "cremad", layers, prosody, False)
    to_emovo = train_test(ravdess, emovo, norm, c, calibrate=calibrate)
    to_ravdess = train_test(emovo, ravdess, norm, c, calibrate=calibrate)
    row = {"R->E uar": to_emovo["uar"], "E->R uar": to_ravdess["uar"]}
    if not quick:
        to_crema = train_test(combine([ravdess, emovo]), crema, norm, c, calibrate=calibrate)
        folds = in_corpus(ravdess, emovo, norm, c)
        row |= {
            "RE->CREMA-D uar": to_crema["uar"],
            "R 6-fold acc (+E)": folds["accuracy"],
            "R 6-fold uar (+E)": folds["uar"],
        }
    if calibrate:
        row |= {"R->E ece": to_emovo["ece"], "E->R ece": to_ravdess["ece"]}
    return row


def arousal(cache: Cache, recipe: tuple, c: float) -> dict[str, Any]:
    """Direct arousal regression vs the categorical head's implied arousal, across corpora."""
    from scipy.stats import spearmanr
    from sklearn.linear_model import Ridge
    from sklearn.metrics import roc_auc_score

    from annotator.emotion.fusion import CIRCUMPLEX
    from annotator.emotion.labels import LABELS
    from annotator.training.audio import _fit, _prepare

    target = np.array([CIRCUMPLEX[label][1] for label in LABELS])
    model, layers, prosody, copy = recipe
    sets = {
        name: cache.features(model, name, layers, prosody, copy) for name in ("ravdess", "emovo")
    }
    out = {}
    for train, test in (("ravdess", "emovo"), ("emovo", "ravdess")):
        a, b = sets[train], sets[test]
        x, augmented = _prepare(a, False)
        head = _fit(x, augmented, a.labels, np.arange(len(x)), c, 0)
        probabilities = np.exp(head.logits(b.features))
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        implied = probabilities @ target
        inputs = np.concatenate([x] + augmented)
        mean, scale = inputs.mean(axis=0), inputs.std(axis=0) + 1e-8
        ridge = Ridge(alpha=1000.0).fit(
            (inputs - mean) / scale, np.tile(target[a.labels], 1 + len(augmented))
        )
        direct = ridge.predict((b.features - mean) / scale)
        truth = target[b.labels]
        high, low = truth >= 0.5, truth <= 0.0
        binary = np.r_[np.ones(high.sum()), np.zeros(low.sum())]
        for name, guess in (("categorical", implied), ("direct", direct)):
            out[f"{train}->{test} {name} spearman"] = float(spearmanr(guess, truth).statistic)
            out[f"{train}->{test} {name} auc"] = float(
                roc_auc_score(binary, np.r_[guess[high], guess[low]])
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--only", action="append", help="recipe name(s) to run")
    parser.add_argument("--c", type=float, default=0.01)
    parser.add_argument("--calibrate", action="store_true", help="also ECE (slower)")
    parser.add_argument("--quick", action="store_true", help="cross-corpus pair only")
    parser.add_argument("--arousal", action="store_true")
    parser.add_argument("--json", type=Path, help="append one JSON line per result")
    args = parser.parse_args()
    cache = Cache(args.cache)
    for name in args.only or list(RECIPES):
        recipe = RECIPES[name]
        if not (args.cache / f"{recipe[0]}_ravdess.npz").is_file():
            print(f"{name}: no cached {recipe[0]} features, skipped")
            continue
        started = time.time()
        if args.arousal:
            rows = {"arousal": arousal(cache, recipe, args.c)}
        else:
            rows = {
                norm: score(cache, recipe, norm == "norm", args.c, args.calibrate, args.quick)
                for norm in ("default", "norm")
            }
        for key, row in rows.items():
            line = {"recipe": name, "head": key, "c": args.c, **row}
            line = {k: round(v, 3) if isinstance(v, float) else v for k, v in line.items()}
            print(json.dumps(line), f"({time.time() - started:.0f} s)", flush=True)
            if args.json:
                with args.json.open("a") as handle:
                    handle.write(json.dumps(line) + "\n")


if __name__ == "__main__":
    main()
