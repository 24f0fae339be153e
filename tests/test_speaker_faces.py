"""Deciding which face speaks from a speaker's utterances together (annotator/active_speaker.py),
on made-up evidence where one face's features follow the sound and the others' do not."""

from __future__ import annotations

import numpy as np

from annotator.active_speaker import READY, REFIT, SpeakerFaces, UtteranceMotion, score_tracks

FEATURES = 41  # as annotator/face_tracks.mouth_features describes a frame


def syllables(rng: np.random.Generator, frames: int) -> np.ndarray:
    """A level (dB) that rises and falls a few times a second, like speech."""
    noise = np.convolve(rng.normal(size=frames + 8), np.ones(5) / 5, mode="valid")[:frames]
    return -30 + 15 * noise


def utterance(rng, frames: int, speaking: int | None, tracks=(0, 1, 2)) -> UtteranceMotion:
    """Evidence where track `speaking` (if any) moves with the sound, one frame ahead of it."""
    levels = syllables(rng, frames)
    evidence = UtteranceMotion(levels)
    for track in tracks:
        rows = rng.normal(size=(frames, FEATURES))
        if track == speaking:
            rows[:, :5] += 0.1 * np.roll(levels, -1)[:, None]  # the mouth leads the sound
        evidence.features[track] = (np.arange(frames), rows.astype(np.float32))
    return evidence


def test_a_speakers_utterances_wait_then_read_the_face_that_speaks():
    rng = np.random.default_rng(0)
    faces = SpeakerFaces()
    decisions = []
    for index in range(READY + REFIT + 2):  # past a refit, and between fits
        made = faces.add(index, "SPEAKER_00", utterance(rng, 50, speaking=1))
        if index < READY - 1:
            assert made == []  # too few utterances yet: they wait
        decisions += made
    assert faces.finish() == []
    assert [d.index for d in decisions] == list(range(READY + REFIT + 2))
    assert all(d.track == 1 for d in decisions), [(d.track, d.scores) for d in decisions]
    assert all(d.scores[1] > max(d.scores[0], d.scores[2]) for d in decisions)


def test_an_off_screen_speaker_reads_no_face():
    rng = np.random.default_rng(1)
    faces = SpeakerFaces()
    for index in range(3):
        assert faces.add(index, "SPEAKER_01", utterance(rng, 60, speaking=None)) == []
    decisions = faces.finish()  # the recording ended before the speaker had READY utterances
    assert len(decisions) == 3 and all(d.track is None for d in decisions)


def test_without_a_speaker_each_utterance_is_decided_alone():
    # Alone, an utterance is cross-validated over its own 1-second blocks: weaker evidence than
    # a speaker's utterances together, so these are long ones (10 s).
    rng = np.random.default_rng(2)
    faces = SpeakerFaces()
    (decision,) = faces.add(0, None, utterance(rng, 250, speaking=2))
    assert decision.track == 2
    (decision,) = faces.add(1, None, utterance(rng, 250, speaking=None))
    assert decision.track is None, decision.scores


def test_the_speakers_face_must_be_visible_in_the_utterance():
    rng = np.random.default_rng(3)
    faces = SpeakerFaces()
    for index in range(READY - 1):
        faces.add(index, "SPEAKER_00", utterance(rng, 50, speaking=0))
    hidden = faces.add(READY - 1, "SPEAKER_00", utterance(rng, 50, speaking=None, tracks=(1, 2)))
    assert [d.track for d in hidden[:-1]] == [0] * (READY - 1)
    assert hidden[-1].track is None  # face 0 left the screen for that utterance


def test_scores_are_held_out_so_noise_scores_near_zero():
    rng = np.random.default_rng(4)
    scores = score_tracks([utterance(rng, 40, speaking=None) for _ in range(8)])
    assert set(scores.pooled) == set(scores.models) == {0, 1, 2} and len(scores.own) == 8
    assert max(abs(v) for v in scores.pooled.values()) < 0.3  # held out: noise earns nothing


def test_a_found_face_survives_a_weaker_refit_but_not_a_better_rival(monkeypatch):
    import annotator.active_speaker as active_speaker

    rng = np.random.default_rng(5)
    faces = SpeakerFaces()
    for index in range(READY):
        decided = faces.add(index, "SPEAKER_00", utterance(rng, 50, speaking=1))
    assert decided[-1].track == 1
    real = active_speaker.score_tracks

    def weaker(pooled):
        def scores(utterances):
            found = real(utterances)
            own = [{t: 0.3 for t in u} for u in found.own]
            return active_speaker.Scores(pooled, own, found.models)

        return scores

    # Track 1 still ranks first but under MIN_SCORE: it is kept (KEEP_SCORE).
    monkeypatch.setattr(active_speaker, "score_tracks", weaker({0: 0.05, 1: 0.25, 2: 0.1}))
    for index in range(READY, READY + REFIT):
        decided = faces.add(index, "SPEAKER_00", utterance(rng, 50, speaking=1))
    assert decided[-1].track == 1
    # Another face now scores better: the old one is not kept, and none clears MIN_SCORE.
    monkeypatch.setattr(active_speaker, "score_tracks", weaker({0: 0.3, 1: 0.25, 2: 0.1}))
    for index in range(READY + REFIT, READY + 2 * REFIT):
        decided = faces.add(index, "SPEAKER_00", utterance(rng, 50, speaking=1))
    assert decided[-1].track is None
