"""Where each library's models run, decided once per process.

Two libraries run models: CTranslate2 (faster-whisper) and torch (openai-whisper, CAM++, the
emotion models). Either may be built with or without CUDA independently of the other, so the
device is resolved per library: a CUDA build of CTranslate2 beside a CPU-only torch puts Whisper
on the GPU and the rest on the CPU, and each stage records the device it actually used.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

DEVICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class Devices:
    """The resolved device of each library: "cpu" or "cuda"."""

    asr: str  # CTranslate2: faster-whisper
    torch: str  # torch: openai-whisper, speaker embeddings, voice/face/text emotion

    def whisper(self, engine: str) -> str:
        """The device of a Whisper engine: openai-whisper is a torch model."""
        return self.torch if engine == "openai-whisper" else self.asr

    @property
    def summary(self) -> str:
        """One word when both libraries agree, else each library's device."""
        if self.asr == self.torch:
            return self.asr
        return f"asr={self.asr},torch={self.torch}"


@cache
def ctranslate2_cuda() -> bool:
    """Whether CTranslate2 (faster-whisper) can use an NVIDIA GPU here (probed once)."""
    try:
        import ctranslate2

        return ctranslate2.get_cuda_device_count() > 0
    except Exception:  # a CUDA-less build or a broken driver: no GPU for it
        return False


@cache
def torch_cuda() -> bool:
    """Whether torch can use an NVIDIA GPU here (probed once)."""
    try:
        import torch

        return bool(torch.cuda.is_available())
    except Exception:  # as above
        return False


def cuda_available() -> bool:
    """Whether either library can use an NVIDIA GPU here."""
    return ctranslate2_cuda() or torch_cuda()


def resolve_devices(device: str) -> Devices:
    """Each library's device for a --device value.

    "cpu": everything on the CPU. "cuda" and "auto": each library on the GPU when it can use one,
    else on the CPU ("cuda" with no GPU at all is refused earlier, by Options.check).
    """
    if device not in DEVICES:
        raise ValueError(f"--device {device}: choose one of {', '.join(DEVICES)}")
    if device == "cpu":
        return Devices(asr="cpu", torch="cpu")
    return Devices(
        asr="cuda" if ctranslate2_cuda() else "cpu",
        torch="cuda" if torch_cuda() else "cpu",
    )
