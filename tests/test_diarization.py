"""The segmentation-based diarizer: networks, powerset decoding, and turns on real meetings."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from annotator.diarization import DiarizationOptions, Diarizer, Turn
from annotator.diarization import segmentation as seg
from annotator.diarization.weights import WeightsError, load_state
from annotator.media import SAMPLE_RATE, decode_audio, probe

AMI = Path(__file__).resolve().parents[2] / "shared" / "media" / "audio" / "ami-excerpts"


@pytest.fixture(scope="module")
def diarizer() -> Diarizer:
    return Diarizer.load(threads=1)


def ami(name: str) -> tuple[np.ndarray, list[tuple[float, float, str]]]:
    """An AMI excerpt's samples and its reference turns (start, end, speaker)."""
    if not AMI.is_dir():
        pytest.skip(f"needs the AMI excerpts in {AMI}")
    turns = []
    for line in (AMI / "train.rttm").read_text().splitlines():
        fields = line.split()
        if fields[1] == name:
            start = float(fields[3])
            turns.append((start, start + float(fields[4]), fields[7]))
    return decode_audio(probe(AMI / f"{name}.flac")).samples, turns


def test_powerset_decoding_by_hand():
    # Classes: {}, {0}, {1}, {2}, {0,1}, {0,2}, {1,2}.
    probs = torch.tensor(
        [
            [0.90, 0.02, 0.02, 0.02, 0.02, 0.01, 0.01],  # silence
            [0.10, 0.60, 0.10, 0.05, 0.05, 0.05, 0.05],  # speaker 0 alone
            [0.05, 0.10, 0.05, 0.05, 0.05, 0.10, 0.60],  # speakers 1 and 2 at once
            [0.40, 0.35, 0.00, 0.00, 0.25, 0.00, 0.00],  # soft: 0 at 0.60, 1 at 0.25
        ]
    )
    hard = seg.powerset_to_multilabel(probs.log())
    assert hard.tolist() == [[0, 0, 0], [1, 0, 0], [0, 1, 1], [0, 0, 0]]
    soft = seg.powerset_to_multilabel(probs.log(), soft=True)
    assert soft[3].tolist() == pytest.approx([0.60, 0.25, 0.0])
    assert soft[2].tolist() == pytest.approx([0.25, 0.70, 0.75])


def test_segmentation_network_shapes(diarizer):
    noise = torch.from_numpy(np.random.default_rng(0).normal(0, 0.01, seg.WINDOW_SAMPLES))
    with torch.inference_mode():
        out = diarizer.segmentation(noise.float().reshape(1, 1, -1))
    assert out.shape == (1, seg.FRAMES_PER_WINDOW, 7)
    assert torch.allclose(out.exp().sum(-1), torch.ones(1, seg.FRAMES_PER_WINDOW), atol=1e-4)
    # The speech bias turns the model's doubtful frames into speech, never the reverse.
    windows = seg.Windows(seg.FRAME_SAMPLES, out.numpy().astype(np.float16), 589)
    assert windows.activity(0.0).sum() <= windows.activity(3.0).sum()


def test_weights_sha_check_rejects_a_wrong_file(tmp_path):
    good = seg.SEGMENTATION_WEIGHTS
    assert load_state(good, seg.SEGMENTATION_SHA256)  # the shipped file passes
    bad = tmp_path / good.name
    shutil.copy(good, bad)
    with bad.open("r+b") as f:  # one byte changed near the end
        f.seek(-100, 2)
        byte = f.read(1)
        f.seek(-100, 2)
        f.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(WeightsError, match=bad.name):
        load_state(bad, seg.SEGMENTATION_SHA256)
    with pytest.raises(WeightsError, match="missing"):
        load_state(tmp_path / "absent.pt", seg.SEGMENTATION_SHA256)


def test_silence_gives_no_turns(diarizer):
    result = diarizer(np.zeros(12 * SAMPLE_RATE, np.float32))
    assert result.turns == [] and result.num_speakers == 0
    assert result.activity.shape[1] == 0
    assert result.speaker_at(1.0, 2.0) is None


def _overlapping_pairs(turns: list[Turn]) -> list[tuple[Turn, Turn]]:
    return [
        (a, b)
        for i, a in enumerate(turns)
        for b in turns[i + 1 :]
        if a.speaker != b.speaker and min(a.end, b.end) - max(a.start, b.start) > 0.2
    ]


def test_overlapping_speech_gives_overlapping_turns_of_two_speakers(diarizer):
    # trn08: two women talk for about 13 s each, partly at once.
    samples, reference = ami("trn08")
    result = diarizer(samples)
    assert result.num_speakers >= 2
    assert result.turns == sorted(result.turns, key=lambda t: t.start)
    pairs = _overlapping_pairs(result.turns)
    assert pairs, result.turns
    # Where the reference has two voices at once, so does the result, somewhere.
    reference_overlap = [
        (max(a[0], b[0]), min(a[1], b[1]))
        for i, a in enumerate(reference)
        for b in reference[i + 1 :]
        if a[2] != b[2] and min(a[1], b[1]) - max(a[0], b[0]) > 0.2
    ]
    found = [(max(a.start, b.start), min(a.end, b.end)) for a, b in pairs]
    assert any(min(e, f) - max(s, t) > 0 for s, e in reference_overlap for t, f in found)
    # Activity agrees with the turns.
    a = result.turns[0]
    assert result.speaker_at(a.start, a.end) is not None
    frames = int(np.ceil(len(samples) / seg.FRAME_SAMPLES))
    assert result.activity.shape == (frames, result.num_speakers)


def test_short_remarks_give_turns(diarizer):
    # trn02: one person says a few words (0.7 s of speech in 30 s).
    samples, reference = ami("trn02")
    result = diarizer(samples)
    assert result.turns
    spoken = sum(t.end - t.start for t in result.turns)
    assert 0.2 < spoken < 5.0
    assert any(t.start < e and s < t.end for t in result.turns for s, e, _ in reference)


def test_num_speakers_forces_the_count(diarizer):
    samples, _ = ami("trn00")
    for count in (1, 3):
        result = diarizer(samples, DiarizationOptions(num_speakers=count))
        assert result.num_speakers == count
        assert sorted({t.speaker for t in result.turns}) == list(range(count))
    bounded = diarizer(samples, DiarizationOptions(max_speakers=1))
    assert bounded.num_speakers == 1
