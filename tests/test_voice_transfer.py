"""Voice features that transfer: every-layer encoder states, prosody, realistic augmentation,
EMOVO/CREMA-D readers and the cross-corpus protocol."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from helpers import SHARED

from annotator.emotion import prosody
from annotator.media import SAMPLE_RATE
from annotator.training import augment
from annotator.training.corpora import corpus_kind, read_corpus, read_emovo

RAVDESS = SHARED / "data" / "ravdess-speech"
EMOVO = SHARED / "data" / "emovo"
CREMA_D = SHARED / "media" / "crema-d"


def _vowel(f0: float, seconds: float = 1.0, level: float = 0.1) -> np.ndarray:
    """A voiced-like harmonic tone (10 harmonics, 1/k amplitudes) at `f0` Hz."""
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    tone = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 11))
    return (level * tone / np.abs(tone).max()).astype(np.float32)


@pytest.fixture(scope="module")
def encoder():
    from annotator.emotion.encoder import bundled_encoder

    return bundled_encoder(threads=1)


def test_prosody_tracks_pitch_and_loudness() -> None:
    names = {name: i for i, name in enumerate(prosody.NAMES)}
    low, high = prosody.functionals(_vowel(120)), prosody.functionals(_vowel(240, level=0.4))
    assert low.shape == (len(prosody.NAMES),) and np.isfinite(low).all()
    median = names["f0_p50_st"]
    assert low[median] == pytest.approx(12 * np.log2(120 / 27.5), abs=0.5)
    assert high[median] - low[median] == pytest.approx(12.0, abs=0.5)  # one octave
    assert high[names["loudness_mean_db"]] - low[names["loudness_mean_db"]] == pytest.approx(
        12.0, abs=1.0
    )
    assert low[names["voiced_fraction"]] > 0.9
    silence = prosody.functionals(np.zeros(8000, dtype=np.float32))
    assert np.isfinite(silence).all() and silence[names["voiced_fraction"]] == 0.0


def test_noise_is_added_at_the_requested_snr() -> None:
    # One second of tone and one of silence: the SNR is the speech's, not diluted by the pause.
    tone = _vowel(200, seconds=1.0)
    clean = np.concatenate([tone, np.zeros_like(tone)])
    noisy = augment.add_noise(clean, 10.0, np.random.default_rng(0))
    snr = 10 * np.log10(np.mean(tone**2) / np.mean((noisy - clean) ** 2))
    assert snr == pytest.approx(10.0, abs=0.5)


def test_realistic_chains_are_seeded_per_clip_and_keep_length() -> None:
    clean = _vowel(200, seconds=1.5)
    for index in range(6):  # covers rooms, noise, telephone and codecs
        first = augment.realistic(clean, augment.clip_rng(0, index))
        again = augment.realistic(clean, augment.clip_rng(0, index))
        np.testing.assert_array_equal(first, again)
        assert np.isfinite(first).all()
        assert abs(first.size - clean.size) < 0.05 * SAMPLE_RATE  # codec frames pad a little
    narrow = augment.telephone(clean)
    spectrum = np.abs(np.fft.rfft(narrow)) ** 2
    freqs = np.fft.rfftfreq(narrow.size, 1 / SAMPLE_RATE)
    assert spectrum[freqs > 4500].sum() < 1e-3 * spectrum.sum()


def test_emovo_names(tmp_path: Path) -> None:
    for name in ("rab-f1-b1.flac", "gio-m2-l3.flac", "notes.flac"):
        (tmp_path / name).write_bytes(b"")
    clips = read_emovo(tmp_path)
    assert [(c.label, c.speaker) for c in clips] == [
        ("happy", "emovo_m2"),
        ("angry", "emovo_f1"),
    ]
    assert corpus_kind(tmp_path) == "emovo"


def test_layer_states_match_ctranslate2(encoder) -> None:
    rng = np.random.default_rng(0)
    audio = (_vowel(180, 2.0) + rng.normal(0, 0.01, 32000)).astype(np.float32)
    layers = encoder.encode_layers(audio)
    assert layers.shape == (5, 101, 384)  # front end + tiny.en's 4 layers; 2 s + the pad
    last = encoder._layers.final_norm(layers[-1])
    reference = encoder.encode(audio)  # CTranslate2, int8
    assert np.corrcoef(last.ravel(), reference.ravel())[0, 1] > 0.99


@pytest.mark.skipif(
    not (RAVDESS.is_dir() and EMOVO.is_dir() and CREMA_D.is_dir()),
    reason="needs ../shared/data/ravdess-speech, ../shared/data/emovo, ../shared/media/crema-d",
)
def test_cross_corpus_protocol_on_a_small_subset(encoder, tmp_path: Path) -> None:
    from annotator.emotion.audio import FeatureRecipe
    from annotator.training.cross_corpus import (
        corpus_features,
        cross_corpus_evaluation,
        format_cross_corpus,
    )

    # 4 RAVDESS actors x 4 emotions, 2 EMOVO actors x 4, 2 CREMA-D clips: seconds, not minutes.
    ravdess_dir, emovo_dir, crema_dir = (tmp_path / n for n in ("ravdess", "emovo", "crema"))
    for actor in ("01", "02", "03", "04"):
        (ravdess_dir / f"Actor_{actor}").mkdir(parents=True)
        for emotion in ("01", "03", "04", "05"):  # neutral, happy, sad, angry
            name = f"03-01-{emotion}-01-01-01-{actor}.flac"
            (ravdess_dir / f"Actor_{actor}" / name).symlink_to(RAVDESS / f"Actor_{actor}" / name)
    for speaker in ("f1", "m1"):
        (emovo_dir / speaker).mkdir(parents=True)
        for emotion in ("neu", "gio", "rab", "dis"):  # neutral, happy, angry, disgust
            name = f"{emotion}-{speaker}-b1.flac"
            (emovo_dir / speaker / name).symlink_to(EMOVO / speaker / name)
    crema_dir.mkdir()
    for name in ("1002_DFA_ANG_XX.mp3", "1002_DFA_DIS_XX.mp3"):
        (crema_dir / name).symlink_to(CREMA_D / name)
    recipe = FeatureRecipe(layers=(2,))
    ravdess = corpus_features(ravdess_dir, recipe, (), encoder)
    emovo = corpus_features(emovo_dir, recipe, (), encoder)
    crema = corpus_features(crema_dir, recipe, (), encoder)
    assert (ravdess.name, emovo.name, crema.name) == ("ravdess", "emovo", "crema-d")
    assert ravdess.features.features.shape == (16, 768)
    result = cross_corpus_evaluation(ravdess, emovo, [crema])
    rows = result["results"]
    assert set(rows) == {
        "ravdess k-fold (+emovo in training)",
        "ravdess -> emovo",
        "emovo -> ravdess",
        "ravdess+emovo -> crema-d",
    }
    # Scored on the classes both sides have: neutral, happy, angry (not sad, not disgust).
    to_emovo = rows["ravdess -> emovo"]
    assert to_emovo["classes"] == ["neutral", "happy", "angry"]
    assert to_emovo["n"] == 6 and np.array(to_emovo["confusion_matrix"]).sum() == 6
    to_ravdess = rows["emovo -> ravdess"]
    assert to_ravdess["n"] == 12 and to_ravdess["chance_uar"] == pytest.approx(1 / 3)
    assert 0.0 <= to_ravdess["uar"] <= 1.0 and 0.0 <= to_ravdess["ece"] <= 1.0
    # Both corpora trained the CREMA-D head: angry and disgust are both learnt.
    assert rows["ravdess+emovo -> crema-d"]["n"] == 2
    assert rows["ravdess k-fold (+emovo in training)"]["folds"] == 4  # one actor per fold
    json.dumps(result)
    assert "emovo -> ravdess" in format_cross_corpus(result)


def test_read_corpus_dispatches_on_names() -> None:
    if not CREMA_D.is_dir():
        pytest.skip(f"needs ../shared/media/crema-d, absent at {CREMA_D}")
    clips = read_corpus(CREMA_D)
    assert len(clips) == 12 and {c.speaker for c in clips} == {"cremad_1001", "cremad_1002"}


def test_a_speaker_with_little_speech_is_standardised_like_the_recording() -> None:
    from annotator.emotion.audio import SpeakerNormaliser

    rng = np.random.default_rng(0)
    # The training corpus is centred on 0; this recording's microphone shifts everything by +5.
    normalise = SpeakerNormaliser(np.zeros(3), np.ones(3), shrinkage=10.0)
    talkative = rng.normal(5.0, 1.0, size=(200, 3))
    quiet = np.full((1, 3), 5.0)  # one utterance, at the recording's typical value
    out = normalise(np.vstack([talkative, quiet]), ["a"] * 200 + ["b"])
    # Shrunk toward the recording (mean ~5), not toward the studio (0): close to zero.
    assert np.abs(out[-1]).max() < 0.5
    assert np.abs(out[:200].mean(axis=0)).max() < 0.1
    # Alone in a recording, the same utterance is only partly pulled back from the studio's mean.
    alone = normalise(quiet, ["b"])
    assert alone[0, 0] > 1.0


def test_evaluate_audio_scores_fixed_weights_from_the_command_line(tmp_path, capsys) -> None:
    if not CREMA_D.is_dir():
        pytest.skip(f"needs ../shared/media/crema-d, absent at {CREMA_D}")
    from annotator.cli import main
    from annotator.emotion.audio import DEFAULT_WEIGHTS

    args = ["evaluate", "audio", "--data", str(CREMA_D), "--per-speaker", "3", "--json"]
    args += ["--weights", str(DEFAULT_WEIGHTS)]
    args += ["--cache", str(tmp_path)]
    for _ in range(2):  # the second run reads the cached features
        with pytest.raises(SystemExit) as exit_info:
            main(args)
        assert exit_info.value.code == 0
        result = json.loads(capsys.readouterr().out)
        row = result["results"]["weights -> crema-d"]
        assert row["n"] == 6 and np.array(row["confusion_matrix"]).sum() == 6
    assert len(list(tmp_path.glob("crema-d-*.npz"))) == 1
