"""Every layer's states of a Whisper encoder, computed in torch from a faster-whisper model folder.

CTranslate2 returns only the encoder's last (layer-normalised) states; emotion is carried best by
the middle layers (probing studies of Whisper and other speech encoders find it peaking there),
and CTranslate2 has no way to return them. The encoder is small (tiny.en: 4 layers of width 384;
base: 6 of 512), so it is re-implemented here in a few lines of torch and its float16 weights are
read straight from the same `model.bin` the transcription engine loads: no second download, and
the same log-mel front end (`WhisperEncoder.features`).

The `model.bin` layout is CTranslate2's own (`ctranslate2/specs/model_spec.py`, `_serialize`):
version, spec name, revision, then (name, rank, dims, dtype, bytes, data) per variable.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import numpy as np

# CTranslate2's DataType enum order (include/ctranslate2/types.h); bfloat16 is not used here.
_DTYPES = (np.float32, np.int8, np.int16, np.int32, np.float16)
MAX_FRAMES = 3000  # 30 s of mel frames: the positional table's length


def read_ct2_variables(path: str | Path, prefix: str = "encoder/") -> dict[str, np.ndarray]:
    """The variables of a CTranslate2 `model.bin` whose names start with `prefix`, as float32."""
    variables: dict[str, np.ndarray] = {}
    with open(path, "rb") as handle:

        def string() -> str:
            (length,) = struct.unpack("<H", handle.read(2))
            return handle.read(length)[:-1].decode("utf-8")

        (version,) = struct.unpack("<I", handle.read(4))
        if version < 5:
            raise ValueError(f"{path}: CTranslate2 model format {version} is too old")
        string()  # spec name
        handle.read(4)  # spec revision
        (count,) = struct.unpack("<I", handle.read(4))
        for _ in range(count):
            name = string()
            (rank,) = struct.unpack("<B", handle.read(1))
            dims = struct.unpack(f"<{rank}I", handle.read(4 * rank))
            (dtype,) = struct.unpack("<B", handle.read(1))
            (size,) = struct.unpack("<I", handle.read(4))
            if not name.startswith(prefix):
                handle.seek(size, 1)
                continue
            if dtype >= len(_DTYPES):
                raise ValueError(f"{path}: variable {name} has an unsupported type {dtype}")
            data = np.frombuffer(handle.read(size), dtype=_DTYPES[dtype]).reshape(dims)
            variables[name[len(prefix) :]] = data.astype(np.float32)
    return variables


class LayerEncoder:
    """Whisper's encoder returning the residual stream after every layer.

    `encode_layers(mel)` -> (n_layers + 1, frames, dim): entries 1..n are the outputs of layers
    1..n (before the final layer norm), entry 0 the convolutional front end plus positions. The
    last layer through the final layer norm equals what CTranslate2's `encode` returns (checked
    in tests/test_speech_emotion.py).
    """

    def __init__(self, variables: dict[str, np.ndarray], name: str = "whisper") -> None:
        import torch

        self.name = name
        self.heads = int(variables["num_heads"])
        self.n_layers = sum(1 for k in variables if k.endswith("self_attention/linear_0/weight"))
        self.w = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in variables.items()}
        self.dim = int(self.w["conv1/bias"].shape[0])

    @classmethod
    def from_model_dir(cls, path: str | Path, name: str = "whisper") -> LayerEncoder:
        return cls(read_ct2_variables(Path(path) / "model.bin"), name=name)

    def _layer_norm(self, x: Any, prefix: str) -> Any:
        import torch.nn.functional as F

        return F.layer_norm(x, (self.dim,), self.w[f"{prefix}/gamma"], self.w[f"{prefix}/beta"])

    def _linear(self, x: Any, prefix: str) -> Any:
        import torch.nn.functional as F

        return F.linear(x, self.w[f"{prefix}/weight"], self.w[f"{prefix}/bias"])

    def encode_layers(self, mel: np.ndarray, upto: int | None = None) -> np.ndarray:
        """(n_mels, frames) log-mel, frames even and <= 3000 -> (upto + 1, frames/2, dim): the
        states up to layer `upto` (default: all); later layers are not computed at all."""
        import torch
        import torch.nn.functional as F

        w = self.w
        with torch.inference_mode():
            x = torch.from_numpy(np.ascontiguousarray(mel, dtype=np.float32))[None]
            x = F.gelu(F.conv1d(x, w["conv1/weight"], w["conv1/bias"], padding=1))
            x = F.gelu(F.conv1d(x, w["conv2/weight"], w["conv2/bias"], stride=2, padding=1))
            x = x[0].T  # (frames, dim)
            x = x + w["position_encodings/encodings"][: x.shape[0]]
            states = [x]
            head_dim = self.dim // self.heads
            for i in range(self.n_layers if upto is None else min(upto, self.n_layers)):
                prefix = f"layer_{i}"
                h = self._layer_norm(x, f"{prefix}/self_attention/layer_norm")
                qkv = self._linear(h, f"{prefix}/self_attention/linear_0")
                q, k, v = (
                    t.reshape(-1, self.heads, head_dim).transpose(0, 1) for t in qkv.chunk(3, -1)
                )
                attended = F.scaled_dot_product_attention(q, k, v)
                attended = attended.transpose(0, 1).reshape(-1, self.dim)
                x = x + self._linear(attended, f"{prefix}/self_attention/linear_1")
                h = self._layer_norm(x, f"{prefix}/ffn/layer_norm")
                h = F.gelu(self._linear(h, f"{prefix}/ffn/linear_0"))
                x = x + self._linear(h, f"{prefix}/ffn/linear_1")
                states.append(x)
            return torch.stack(states).numpy()

    def final_norm(self, states: np.ndarray) -> np.ndarray:
        """The encoder's final layer norm (what CTranslate2 returns for the last layer)."""
        import torch

        with torch.inference_mode():
            return self._layer_norm(torch.from_numpy(states), "layer_norm").numpy()

    def encode(self, mel: np.ndarray, upto: int | None = None) -> np.ndarray:
        """Layers 0..upto (default all) for any length: <= 30 s windows, joined along time."""
        chunks = []
        for start in range(0, mel.shape[1], MAX_FRAMES):
            window = mel[:, start : start + MAX_FRAMES]
            if window.shape[1] % 2:
                window = np.pad(window, ((0, 0), (0, 1)), mode="edge")
            if window.shape[1] >= 4:
                chunks.append(self.encode_layers(window, upto))
        return np.concatenate(chunks, axis=1)
