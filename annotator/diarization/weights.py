"""Loading the shipped network weights, each checked against its pinned SHA-256 first."""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch

WEIGHTS = Path(__file__).resolve().parents[1] / "weights"


class WeightsError(RuntimeError):
    """A weights file is missing or is not the file the network was written for."""


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_state(path: Path, expected_sha256: str) -> dict[str, torch.Tensor]:
    """The state dict in `path`, in float32, after checking the file's hash: a truncated or
    swapped file fails here with its name rather than as a shape error or wrong speakers."""
    if not path.is_file():
        raise WeightsError(f"{path}: weights file missing (reinstall the package)")
    found = sha256(path)
    if found != expected_sha256:
        raise WeightsError(
            f"{path}: SHA-256 {found} is not the expected {expected_sha256} "
            "(a damaged or different file; reinstall the package)"
        )
    state = torch.load(path, map_location="cpu", weights_only=True)
    # Stored as float16 where that loads back close enough; computed in float32.
    return {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
