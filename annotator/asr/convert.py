"""Convert a faster-whisper (CTranslate2) Whisper model into an openai-whisper checkpoint.

The reader follows CTranslate2's own writer (python/ctranslate2/specs/model_spec.py,
`_serialize`) and loader (src/models/model.cc, `Model::load`), little-endian throughout:

    uint32 binary_version
    string spec_name, uint32 spec_revision            (binary_version >= 2)
    uint32 n; n x variable:
        string name, uint8 rank, uint32[rank] shape,
        uint8 dtype id, uint32 byte count              (binary_version >= 4)
        uint8 item size, uint32 element count          (older)
        raw bytes
    uint32 n; n x (string alias, string target)       (binary_version >= 3)

where a string is uint16 length (including a trailing NUL) + bytes. Weights quantised to int8
carry a per-row `<name>_scale` (value = int8 / scale); int16 a scalar scale.

The conversion is cached under the user's cache folder, keyed by a SHA-256 of the source files
and the converter version, so it runs once per model and a changed source is never served stale.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from annotator.asr.errors import ModelLoadError
from annotator.cache import cache_dir

CONVERTER_VERSION = 1  # bump when the produced state dict changes, so old caches are ignored
MAX_BINARY_VERSION = 6  # the newest CTranslate2 layout this reader has been checked against
SPEC_NAME = "WhisperSpec"

# CTranslate2's DataType enum order (include/ctranslate2/types.h).
_DTYPES: dict[int, str] = {
    0: "float32",
    1: "int8",
    2: "int16",
    3: "int32",
    4: "float16",
    5: "bfloat16",
}
_LEGACY_ITEM_SIZES = {4: "float32", 2: "int16", 1: "int8"}  # binary_version < 4


class ConversionError(ModelLoadError):
    """The CTranslate2 model cannot be read or is not a Whisper model this converter knows."""


@dataclass(frozen=True)
class Ct2Model:
    binary_version: int
    spec: str
    revision: int
    variables: dict[str, np.ndarray]  # raw, as stored (possibly int8 / float16 / bfloat16)
    aliases: dict[str, str]


@dataclass(frozen=True)
class Conversion:
    dims: dict[str, int]  # whisper.model.ModelDimensions fields
    state_dict: dict[str, Any]  # name -> torch.Tensor (float16, like OpenAI's checkpoints)
    alignment_heads: list[tuple[int, int]]  # (decoder layer, head) pairs used for word timing


class _Reader:
    def __init__(self, data: bytes, path: Path) -> None:
        self.data, self.offset, self.path = data, 0, path

    def take(self, size: int) -> memoryview:
        if self.offset + size > len(self.data):
            raise ConversionError(f"{self.path}: truncated at byte {self.offset}")
        view = memoryview(self.data)[self.offset : self.offset + size]
        self.offset += size
        return view

    def number(self, fmt: str) -> int:
        return struct.unpack("<" + fmt, self.take(struct.calcsize(fmt)))[0]

    def string(self) -> str:
        raw = bytes(self.take(self.number("H")))
        return raw.rstrip(b"\0").decode("utf-8")


def read_ctranslate2(path: Path) -> Ct2Model:
    """Every variable of a CTranslate2 `model.bin`, as numpy arrays in their stored dtype."""
    reader = _Reader(Path(path).read_bytes(), Path(path))
    version = reader.number("I")
    if not 1 <= version <= MAX_BINARY_VERSION:
        raise ConversionError(
            f"{path}: CTranslate2 binary version {version} is not supported "
            f"(known: 1..{MAX_BINARY_VERSION})"
        )
    spec, revision = ("", 1)
    if version >= 2:
        spec, revision = reader.string(), reader.number("I")
    variables: dict[str, np.ndarray] = {}
    for _ in range(reader.number("I")):
        name = reader.string()
        shape = tuple(reader.number("I") for _ in range(reader.number("B")))
        if version >= 4:
            dtype = _DTYPES.get(reader.number("B"))
            if dtype is None:
                raise ConversionError(f"{path}: unknown dtype for {name}")
            size = reader.number("I")
        else:
            item = reader.number("B")
            dtype = _LEGACY_ITEM_SIZES[item]
            size = reader.number("I") * item
        raw = reader.take(size)
        storage = np.uint16 if dtype == "bfloat16" else np.dtype(dtype)
        array = np.frombuffer(raw, dtype=storage).reshape(shape)
        if dtype == "bfloat16":  # numpy has no bfloat16: widen to float32 bit-exactly
            array = (array.astype(np.uint32) << 16).view(np.float32)
        variables[name] = array
    aliases: dict[str, str] = {}
    if version >= 3:
        for _ in range(reader.number("I")):
            alias = reader.string()
            aliases[alias] = reader.string()
    return Ct2Model(version, spec, revision, variables, aliases)


def dequantize(model: Ct2Model, name: str) -> np.ndarray:
    """A variable as float32, undoing CTranslate2's int8 (per-row) or int16 (scalar) scaling."""
    name = model.aliases.get(name, name)
    value = model.variables[name]
    scale = model.variables.get(f"{name}_scale")
    if value.dtype in (np.int8, np.int16) and scale is not None:
        rows = value.reshape(value.shape[0], -1).astype(np.float32)
        factor = np.asarray(scale, dtype=np.float32).reshape(-1, 1)  # (rows, 1) or (1, 1)
        return (rows / factor).reshape(value.shape)
    return value.astype(np.float32)


def _layer_count(model: Ct2Model, prefix: str) -> int:
    pattern = re.compile(rf"^{prefix}/layer_(\d+)/")
    indices = {int(m.group(1)) for name in model.variables if (m := pattern.match(name))}
    return max(indices) + 1 if indices else 0


def _dims(model: Ct2Model) -> dict[str, int]:
    v = model.variables
    audio_ctx, audio_state = v["encoder/position_encodings/encodings"].shape
    text_ctx, text_state = v["decoder/position_encodings/encodings"].shape
    return dict(
        n_mels=int(v["encoder/conv1/weight"].shape[1]),
        n_audio_ctx=int(audio_ctx),
        n_audio_state=int(audio_state),
        n_audio_head=int(v["encoder/num_heads"]),
        n_audio_layer=_layer_count(model, "encoder"),
        n_vocab=int(v["decoder/embeddings/weight"].shape[0]),
        n_text_ctx=int(text_ctx),
        n_text_state=int(text_state),
        n_text_head=int(v["decoder/num_heads"]),
        n_text_layer=_layer_count(model, "decoder"),
    )


def _openai_names(dims: dict[str, int]) -> list[tuple[str, str, str]]:
    """(openai-whisper key, CTranslate2 variable, how to take it) for every tensor.

    `how` is "" (as is) or "q"/"k"/"v" (one third of a fused self-attention projection) or
    "k2"/"v2" (one half of the fused key/value projection of cross-attention).
    """
    rows: list[tuple[str, str, str]] = [
        ("encoder.conv1.weight", "encoder/conv1/weight", ""),
        ("encoder.conv1.bias", "encoder/conv1/bias", ""),
        ("encoder.conv2.weight", "encoder/conv2/weight", ""),
        ("encoder.conv2.bias", "encoder/conv2/bias", ""),
        ("encoder.positional_embedding", "encoder/position_encodings/encodings", ""),
        ("encoder.ln_post.weight", "encoder/layer_norm/gamma", ""),
        ("encoder.ln_post.bias", "encoder/layer_norm/beta", ""),
        ("decoder.token_embedding.weight", "decoder/embeddings/weight", ""),
        ("decoder.positional_embedding", "decoder/position_encodings/encodings", ""),
        ("decoder.ln.weight", "decoder/layer_norm/gamma", ""),
        ("decoder.ln.bias", "decoder/layer_norm/beta", ""),
    ]

    def add(ours: str, theirs: str, how: str = "") -> None:
        rows.append((ours, theirs, how))

    def block(ours: str, theirs: str, cross: bool) -> None:
        # Self-attention: linear_0 is query|key|value fused, linear_1 the output projection.
        # OpenAI's key projection has no bias; CTranslate2 stores zeros in its place.
        qkv = f"{theirs}/self_attention/linear_0"
        for part, how in (("query", "q"), ("key", "k"), ("value", "v")):
            add(f"{ours}.attn.{part}.weight", f"{qkv}/weight", how)
            if part != "key":
                add(f"{ours}.attn.{part}.bias", f"{qkv}/bias", how)
        add(f"{ours}.attn.out.weight", f"{theirs}/self_attention/linear_1/weight")
        add(f"{ours}.attn.out.bias", f"{theirs}/self_attention/linear_1/bias")
        add(f"{ours}.attn_ln.weight", f"{theirs}/self_attention/layer_norm/gamma")
        add(f"{ours}.attn_ln.bias", f"{theirs}/self_attention/layer_norm/beta")
        if cross:
            # Cross-attention: linear_0 query, linear_1 key|value fused, linear_2 output.
            cross_at = f"{theirs}/attention"
            add(f"{ours}.cross_attn.query.weight", f"{cross_at}/linear_0/weight")
            add(f"{ours}.cross_attn.query.bias", f"{cross_at}/linear_0/bias")
            add(f"{ours}.cross_attn.key.weight", f"{cross_at}/linear_1/weight", "k2")
            add(f"{ours}.cross_attn.value.weight", f"{cross_at}/linear_1/weight", "v2")
            add(f"{ours}.cross_attn.value.bias", f"{cross_at}/linear_1/bias", "v2")
            add(f"{ours}.cross_attn.out.weight", f"{cross_at}/linear_2/weight")
            add(f"{ours}.cross_attn.out.bias", f"{cross_at}/linear_2/bias")
            add(f"{ours}.cross_attn_ln.weight", f"{cross_at}/layer_norm/gamma")
            add(f"{ours}.cross_attn_ln.bias", f"{cross_at}/layer_norm/beta")
        # MLP: linear_0 -> GELU -> linear_1 is OpenAI's Sequential (0: Linear, 2: Linear).
        add(f"{ours}.mlp.0.weight", f"{theirs}/ffn/linear_0/weight")
        add(f"{ours}.mlp.0.bias", f"{theirs}/ffn/linear_0/bias")
        add(f"{ours}.mlp.2.weight", f"{theirs}/ffn/linear_1/weight")
        add(f"{ours}.mlp.2.bias", f"{theirs}/ffn/linear_1/bias")
        add(f"{ours}.mlp_ln.weight", f"{theirs}/ffn/layer_norm/gamma")
        add(f"{ours}.mlp_ln.bias", f"{theirs}/ffn/layer_norm/beta")

    for i in range(dims["n_audio_layer"]):
        block(f"encoder.blocks.{i}", f"encoder/layer_{i}", cross=False)
    for i in range(dims["n_text_layer"]):
        block(f"decoder.blocks.{i}", f"decoder/layer_{i}", cross=True)
    return rows


_SLICES = {"q": (0, 3), "k": (1, 3), "v": (2, 3), "k2": (0, 2), "v2": (1, 2)}


def convert(model_dir: Path) -> Conversion:
    """An openai-whisper state dict, dims and alignment heads from a faster-whisper folder."""
    import torch

    model_dir = Path(model_dir)
    model = read_ctranslate2(model_dir / "model.bin")
    if model.spec not in ("", SPEC_NAME):
        raise ConversionError(f"{model_dir}: a {model.spec} model, not Whisper")
    dims = _dims(model)
    state: dict[str, Any] = {}
    for key, variable, how in _openai_names(dims):
        if variable not in model.variables and variable not in model.aliases:
            raise ConversionError(f"{model_dir}: variable {variable} missing (for {key})")
        value = dequantize(model, variable)
        if how:
            index, parts = _SLICES[how]
            value = np.split(value, parts, axis=0)[index]
        state[key] = torch.from_numpy(np.ascontiguousarray(value)).to(torch.float16)
    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    heads = [(int(layer), int(head)) for layer, head in config.get("alignment_heads") or []]
    return Conversion(dims=dims, state_dict=state, alignment_heads=heads)


def fingerprint(model_dir: Path) -> str:
    """SHA-256 over the converter version and the files the conversion reads."""
    digest = hashlib.sha256(f"annotator.convert/{CONVERTER_VERSION}\n".encode())
    for name in ("model.bin", "config.json"):
        digest.update(name.encode() + b"\0")
        with open(Path(model_dir) / name, "rb") as source:
            while block := source.read(1 << 20):
                digest.update(block)
    return digest.hexdigest()


def checkpoint_path(model_dir: Path, cache: Path | None = None) -> Path:
    folder = (cache if cache is not None else cache_dir()) / "openai-whisper"
    return folder / f"{Path(model_dir).name}-{fingerprint(model_dir)[:16]}.pt"


def converted_checkpoint(model_dir: Path, cache: Path | None = None) -> Path:
    """The cached openai-whisper `.pt` for a faster-whisper folder, converting it on first use.

    The file is OpenAI's checkpoint layout ({"dims", "model_state_dict"}), so
    `whisper.load_model(path)` reads it too; "alignment_heads" and "annotator" are extra keys.
    """
    import torch

    target = checkpoint_path(model_dir, cache)
    if target.is_file():
        return target
    conversion = convert(model_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    checkpoint = {
        "dims": conversion.dims,
        "model_state_dict": conversion.state_dict,
        "alignment_heads": conversion.alignment_heads,
        "annotator": {
            "converter_version": CONVERTER_VERSION,
            "source": str(model_dir),
            "source_sha256": fingerprint(model_dir),
        },
    }
    # Write beside the target and rename, so an interrupted run never leaves a half file
    # that a later run would take for a finished conversion.
    handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".part")
    os.close(handle)
    try:
        torch.save(checkpoint, temporary)
        os.replace(temporary, target)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return target
