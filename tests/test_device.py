"""--device: where the models run. The CUDA path runs where a GPU exists and is skipped with
the reason elsewhere; without one, `auto` runs everything on the CPU."""

from __future__ import annotations

import pytest
from helpers import SAMPLES

from annotator.devices import Devices, cuda_available, resolve_devices
from annotator.options import Options


def test_device_choices_are_checked():
    with pytest.raises(ValueError, match="--device gpu: choose one of auto, cpu, cuda"):
        Options(device="gpu").check()
    Options(device="cpu").check()
    Options(device="auto").check()
    assert resolve_devices("cpu") == Devices("cpu", "cpu")
    if not cuda_available():
        assert resolve_devices("auto") == Devices("cpu", "cpu")


def test_auto_records_the_device_each_library_used(annotator):
    from annotator.devices import resolve_devices

    assert annotator.options.device == "auto"
    assert annotator.devices == resolve_devices("auto")
    recorded = annotator.options.recorded(annotator.devices)["device"]
    assert recorded == annotator.devices.summary
    if not cuda_available():
        assert recorded == "cpu"


needs_cuda = pytest.mark.skipif(
    not cuda_available(), reason="no CUDA GPU here (CTranslate2 and torch find none)"
)


@needs_cuda
def test_the_cuda_path_transcribes_like_the_cpu(tmp_path):
    """The sample meeting on the GPU (float16) and on the CPU (int8): the same words, nearly,
    and every model on the device it was given."""
    from annotator.pipeline import Annotator
    from annotator.training.metrics import word_error_rate

    gpu = Annotator(Options(device="cuda"))
    assert gpu.devices.asr == "cuda" and gpu.devices.torch == "cuda"
    assert gpu.options.recorded(gpu.devices)["device"] == "cuda"
    on_gpu = gpu.annotate(SAMPLES / "meeting.mp4").transcript
    on_cpu = Annotator(Options(device="cpu")).annotate(SAMPLES / "meeting.mp4").transcript
    text = [" ".join(u.text for u in t.utterances) for t in (on_cpu, on_gpu)]
    assert word_error_rate(*text) <= 0.1
    assert all(u.emotion is not None for u in on_gpu.utterances)
    assert len({u.speaker for u in on_gpu.utterances}) >= 2  # CAM++ ran on the GPU too


def test_each_library_gets_its_own_device(monkeypatch):
    """A CUDA build of CTranslate2 beside a CPU-only torch: Whisper (faster-whisper) on the GPU,
    openai-whisper and the other torch models on the CPU, and the transcript says both."""
    from annotator import devices

    monkeypatch.setattr(devices, "ctranslate2_cuda", lambda: True)
    monkeypatch.setattr(devices, "torch_cuda", lambda: False)
    found = devices.resolve_devices("auto")
    assert found == devices.Devices(asr="cuda", torch="cpu")
    assert found.whisper("faster-whisper") == "cuda" and found.whisper("openai-whisper") == "cpu"
    assert Options().recorded(found)["device"] == "asr=cuda,torch=cpu"
    assert devices.resolve_devices("cpu") == devices.Devices("cpu", "cpu")
    assert Options().recorded(devices.resolve_devices("cpu"))["device"] == "cpu"


def test_language_codes_are_whisper_s_own():
    from faster_whisper.tokenizer import _LANGUAGE_CODES  # the library's list, to compare

    from annotator.options import WHISPER_LANGUAGES

    assert WHISPER_LANGUAGES == set(_LANGUAGE_CODES)
    with pytest.raises(ValueError, match="--language xx: not a language code Whisper knows"):
        Options(language="xx").check()
    Options(language="yue").check()
