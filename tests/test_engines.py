"""The openai-whisper engine: model conversion, cache, engine choice, and the base model parts."""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path

import numpy as np
import pytest
from helpers import word_error_rate

from annotator.asr import ModelLoadError, bundled_model_dir, resolve
from annotator.asr.convert import (
    checkpoint_path,
    convert,
    converted_checkpoint,
    dequantize,
    read_ctranslate2,
)
from annotator.asr.extra_models import ChecksumError, SplitModel, reassemble, split_model_dir
from annotator.cache import CACHE_ENV

CLIP = (6.0, 20.0)  # seconds of call.flac: the first 6 s are silence, then a dialogue


@pytest.fixture(scope="module")
def whisper():
    return pytest.importorskip("whisper")


@pytest.fixture(scope="module")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One conversion of the bundled model for the whole module, in a private cache."""
    return tmp_path_factory.mktemp("annotator-cache")


@pytest.fixture(scope="module")
def engine(whisper, model_cache: Path):
    from annotator.asr.openai_whisper import OpenAIWhisperEngine

    return OpenAIWhisperEngine(resolve("tiny.en"), cache=model_cache)


# --- the CTranslate2 reader ------------------------------------------------------------------


def _ct2_string(text: str) -> bytes:
    raw = text.encode() + b"\0"
    return struct.pack("<H", len(raw)) + raw


def _ct2_file(variables: dict[str, np.ndarray], dtype_ids: dict[str, int]) -> bytes:
    """A binary-version-6 model.bin as CTranslate2's model_spec.py writes it."""
    out = struct.pack("<I", 6) + _ct2_string("WhisperSpec") + struct.pack("<I", 3)
    out += struct.pack("<I", len(variables))
    for name, value in variables.items():
        out += _ct2_string(name) + struct.pack("<B", value.ndim)
        out += b"".join(struct.pack("<I", d) for d in value.shape)
        out += struct.pack("<BI", dtype_ids[name], value.nbytes) + value.tobytes()
    return out + struct.pack("<I", 1) + _ct2_string("alias/weight") + _ct2_string("w")


def test_reader_dequantizes_int8_rows_and_follows_aliases(tmp_path: Path) -> None:
    weight = np.array([[0.5, -1.0], [2.0, 0.25], [0.0, 0.0]], dtype=np.float32)
    amax = np.abs(weight).max(axis=1)
    amax[amax == 0] = 127.0
    scale = (127.0 / amax).astype(np.float32)  # CTranslate2's per-row int8 scale
    quantized = np.rint(weight * scale[:, None]).astype(np.int8)
    bias = np.array([1.5, -2.0, 0.0], dtype=np.float16)
    path = tmp_path / "model.bin"
    path.write_bytes(
        _ct2_file(
            {"w": quantized, "w_scale": scale, "b": bias},
            {"w": 1, "w_scale": 0, "b": 4},
        )
    )
    model = read_ctranslate2(path)
    assert (model.binary_version, model.spec, model.revision) == (6, "WhisperSpec", 3)
    assert model.variables["w"].dtype == np.int8
    np.testing.assert_allclose(dequantize(model, "w"), weight, atol=1 / 127)
    np.testing.assert_allclose(dequantize(model, "alias/weight"), weight, atol=1 / 127)
    assert dequantize(model, "b").dtype == np.float32
    np.testing.assert_array_equal(dequantize(model, "b"), bias.astype(np.float32))


def test_reader_rejects_truncated_files(tmp_path: Path) -> None:
    path = tmp_path / "model.bin"
    path.write_bytes(_ct2_file({"w": np.ones(4, np.float32)}, {"w": 0})[:-20])
    with pytest.raises(ModelLoadError, match="truncated"):
        read_ctranslate2(path)


# --- converting the bundled model ------------------------------------------------------------


def test_bundled_model_converts_to_openai_whisper_names_and_shapes(whisper) -> None:
    from whisper.model import ModelDimensions, Whisper

    conversion = convert(bundled_model_dir())
    assert conversion.dims == dict(
        n_mels=80,
        n_audio_ctx=1500,
        n_audio_state=384,
        n_audio_head=6,
        n_audio_layer=4,
        n_vocab=51864,  # English-only
        n_text_ctx=448,
        n_text_state=384,
        n_text_head=6,
        n_text_layer=4,
    )
    expected = Whisper(ModelDimensions(**conversion.dims)).state_dict()
    assert set(conversion.state_dict) == set(expected)
    for name, tensor in expected.items():
        assert tuple(conversion.state_dict[name].shape) == tuple(tensor.shape), name
    # The fused projections were split at the right place: q, k, v of a layer differ.
    q = conversion.state_dict["encoder.blocks.0.attn.query.weight"]
    k = conversion.state_dict["encoder.blocks.0.attn.key.weight"]
    assert not q.equal(k)
    assert (1, 0) in conversion.alignment_heads


def test_conversion_is_cached_and_reused(whisper, model_cache: Path) -> None:
    first = converted_checkpoint(bundled_model_dir(), model_cache)
    stamp = first.stat().st_mtime_ns
    second = converted_checkpoint(bundled_model_dir(), model_cache)
    assert second == first and second.stat().st_mtime_ns == stamp  # not converted again
    assert first.parent == model_cache / "openai-whisper"
    import torch

    checkpoint = torch.load(first, map_location="cpu", weights_only=True)
    assert set(checkpoint) >= {"dims", "model_state_dict"}  # OpenAI's checkpoint layout


def test_changed_source_gets_a_new_cache_entry(tmp_path: Path) -> None:
    source = tmp_path / "model"
    source.mkdir()
    (source / "model.bin").symlink_to(bundled_model_dir() / "model.bin")
    config = (bundled_model_dir() / "config.json").read_text()
    (source / "config.json").write_text(config)
    before = checkpoint_path(source, tmp_path)
    (source / "config.json").write_text(config + "\n")
    assert checkpoint_path(source, tmp_path) != before


def test_cache_location_follows_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from annotator.cache import cache_dir

    monkeypatch.delenv(CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "annotator"
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"


# --- the engine --------------------------------------------------------------------------------


def _clip(samples: Path) -> np.ndarray:
    from annotator import media

    audio = media.decode_audio(media.probe(samples / "call.flac")).samples
    return audio[int(CLIP[0] * media.SAMPLE_RATE) : int(CLIP[1] * media.SAMPLE_RATE)]


def test_converted_model_decodes_a_clip_like_faster_whisper(engine, whisper, samples) -> None:
    """Greedy decoding of one window: the converted weights behave like the original ones."""
    import faster_whisper

    audio = _clip(samples)
    mel = whisper.log_mel_spectrogram(whisper.pad_or_trim(audio))
    options = whisper.DecodingOptions(language="en", beam_size=None, fp16=False)
    ours = engine.model.decode(mel, options).text
    reference = faster_whisper.WhisperModel(str(bundled_model_dir()), compute_type="int8")
    segments, _ = reference.transcribe(audio, language="en", beam_size=1, vad_filter=False)
    theirs = " ".join(s.text for s in segments)
    # Measured 0.02 (one word of 41: "need" vs "needed"); int8 vs float32 explains that much.
    assert word_error_rate(theirs, ours) <= 0.15, (theirs, ours)


@pytest.mark.slow
def test_engine_transcribes_with_word_timestamps(engine, samples) -> None:
    result = engine.transcribe(_clip(samples))
    words = [w for s in result.segments for w in s.words]
    assert result.language == "en" and words
    assert all(0 <= w.start <= w.end <= CLIP[1] - CLIP[0] + 0.5 for w in words)
    assert "hello" in " ".join(s.text for s in result.segments).lower()


def test_engine_decodes_a_short_region_on_its_own(engine, samples) -> None:
    # call.flac 6.5-11.0 s: "Hello?" "Hello?" "Oh, hello. I didn't know you were there." ...
    audio = _clip(samples)[int(0.5 * 16000) : int(5.0 * 16000)]
    segments = engine.transcribe_region(audio, "en")
    words = [w for s in segments for w in s.words]
    assert "know you were there" in " ".join(w.word.strip(" .,?!").lower() for w in words)
    assert all(0 <= w.start <= w.end <= 4.5 for w in words) and words[0].start < 0.5


def test_engine_knows_the_bundled_model_is_english_only(engine) -> None:
    assert engine.is_multilingual is False  # the pipeline refuses --language de up front


def test_load_engine_selects_openai_whisper(
    whisper, model_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from annotator.asr import load_engine
    from annotator.asr.openai_whisper import OpenAIWhisperEngine

    monkeypatch.setenv(CACHE_ENV, str(model_cache))  # reuse this module's conversion
    engine = load_engine("openai-whisper", "tiny.en")
    assert isinstance(engine, OpenAIWhisperEngine)
    assert engine.name == "openai-whisper/tiny.en (bundled, converted)"


def test_a_users_checkpoint_is_taken_as_is_and_unknown_names_fail(
    whisper, model_cache: Path
) -> None:
    from annotator.asr.openai_whisper import checkpoint_for

    checkpoint = converted_checkpoint(bundled_model_dir(), model_cache)
    resolved = resolve(str(checkpoint))
    assert resolved.is_checkpoint and checkpoint_for(resolved, model_cache) == checkpoint
    with pytest.raises(ModelLoadError, match="not available offline"):
        checkpoint_for(resolve("large-v3"), model_cache)


# --- reassembling a split model ----------------------------------------------------------------


def _fake_parts(root: Path) -> tuple[list[Path], str]:
    parts = []
    for i, payload in enumerate([b"first half|", b"second half"], start=1):
        part = root / f"model.bin.part{i}"
        part.write_bytes(payload)
        parts.append(part)
    return parts, hashlib.sha256(b"first half|second half").hexdigest()


def test_reassembly_checks_the_hash_and_is_done_once(tmp_path: Path) -> None:
    parts, digest = _fake_parts(tmp_path)
    target = tmp_path / "cache" / "model.bin"
    assert reassemble(parts, digest, target).read_bytes() == b"first half|second half"
    stamp = target.stat().st_mtime_ns
    reassemble(parts, digest, target)
    assert target.stat().st_mtime_ns == stamp  # trusted from its stamp, not rewritten
    target.write_bytes(b"tampered")  # size/mtime no longer match the stamp: rebuilt
    assert reassemble(parts, digest, target).read_bytes() == b"first half|second half"


def test_reassembly_with_a_wrong_hash_leaves_nothing(tmp_path: Path) -> None:
    parts, _ = _fake_parts(tmp_path)
    target = tmp_path / "cache" / "model.bin"
    with pytest.raises(ChecksumError):
        reassemble(parts, "0" * 64, target)
    assert not target.exists() and list(target.parent.iterdir()) == []


def test_split_model_from_fake_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    for i, payload in enumerate([b"first half|", b"second half"], start=1):
        data = site / f"fake_model_part{i}" / "data"
        data.mkdir(parents=True)
        (data.parent / "__init__.py").write_text("")
        (data / f"model.bin.part{i}").write_bytes(payload)
    (site / "fake_model_part1" / "data" / "config.json").write_text("{}")
    monkeypatch.syspath_prepend(str(site))
    model = SplitModel(
        name="fake",
        packages=("fake_model_part1", "fake_model_part2"),
        parts=("data/model.bin.part1", "data/model.bin.part2"),
        extra_files=("config.json",),
        sha256=hashlib.sha256(b"first half|second half").hexdigest(),
        install_hint="pip install meeting-annotator[fake]",
    )
    folder = split_model_dir(model, tmp_path / "cache")
    assert folder == tmp_path / "cache" / "fake"
    assert (folder / "model.bin").read_bytes() == b"first half|second half"
    assert (folder / "config.json").read_text() == "{}"
    missing = SplitModel(**{**model.__dict__, "packages": ("no_such_part1", "no_such_part2")})
    with pytest.raises(ModelLoadError, match=r"pip install meeting-annotator\[fake\]"):
        split_model_dir(missing, tmp_path / "cache")


def test_base_model_hint_when_the_extra_is_missing(tmp_path: Path) -> None:
    from annotator.asr.extra_models import BASE

    assert BASE.install_hint == "pip install meeting-annotator[base]"
    if all(_installed(p) for p in BASE.packages):
        pytest.skip("the [base] packages are installed here")
    with pytest.raises(ModelLoadError, match=r"pip install meeting-annotator\[base\]"):
        split_model_dir(BASE, tmp_path)


def _installed(package: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(package) is not None


def test_emotion_stage_loads_its_own_encoder_beside_openai_whisper(
    whisper, model_cache: Path, samples, monkeypatch: pytest.MonkeyPatch
) -> None:
    from annotator.faces import UtteranceFaces
    from annotator.options import Options
    from annotator.pipeline import Annotator

    monkeypatch.setenv(CACHE_ENV, str(model_cache))
    annotator = Annotator(Options(engine="openai-whisper", whisper_model="tiny.en"))
    # Nothing to share with openai-whisper: tiny.en's encoder is loaded beside it.
    assert annotator.tagger.encoder.model is not getattr(annotator.asr, "model", None)
    (tagged,) = annotator.tagger.tag([_clip(samples)], [UtteranceFaces()])
    assert tagged.emotion.face is None and tagged.emotion.weights == {"audio": 1.0}
