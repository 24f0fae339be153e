"""The rules that turn decodings into a language, and the token budget for short audio: plain
functions, checked on decodings as the comparison records them."""

from __future__ import annotations

from annotator.asr.auto import uncertainty
from annotator.asr.budget import MAX_BUDGET, short_budget, token_budget
from annotator.asr.comparison import decide
from annotator.asr.result import Decoding, LanguageDetection
from annotator.media import SAMPLE_RATE


def decoding(language: str, logprob: float | None, loops: bool = False, ratio: float = 1.2):
    return Decoding(language, "base", logprob, ratio, 0.1, 20, loops, "...")


def test_a_good_decoding_wins():
    # GRID "bin blue at F two now": identified as Latin, decoded best in English.
    assert decide([decoding("la", -0.79), decoding("fr", -1.11), decoding("en", -0.48)]) == "en"


def test_loops_are_no_evidence():
    # A loop scores well ("Mae'r gweithio'r gweithio'r ..."): it must not win.
    assert decide([decoding("cy", -0.29, loops=True), decoding("en", -0.47)]) == "en"
    assert decide([decoding("cy", -0.22, ratio=8.5), decoding("en", -0.47)]) == "en"
    assert decide([decoding("cy", -0.2, loops=True)]) is None


def test_bad_decodings_count_only_when_far_apart():
    # 0.8 s of English: both bad, English far better.
    assert decide([decoding("nn", -1.97), decoding("en", -1.31)]) == "en"
    # Cut mid-sentence: every decoding bad and close together: nothing clear.
    assert decide([decoding("es", -1.64), decoding("la", -1.36), decoding("en", -1.5)]) is None


def test_an_unclear_decision_warns_and_a_clear_one_does_not():
    aggregate = (("es", 0.41), ("la", 0.24))
    unclear = LanguageDetection(
        "es", "detected", 0.41, "base + tiny.en", (), aggregate, (decoding("es", -1.6),)
    )
    line = uncertainty(unclear) or ""
    assert "language uncertain" in line and "Spanish (es)" in line and "--language" in line
    good = (decoding("es", -0.5),)
    clear = LanguageDetection("es", "detected", 0.41, "base", (), aggregate, good)
    assert uncertainty(clear) is None
    assert uncertainty(LanguageDetection("de", "detected", 0.95, "base")) is None


def test_the_token_budget_grows_with_the_audio_and_stops_where_whisper_limits_it():
    assert token_budget(int(2.5 * SAMPLE_RATE)) == 38
    assert short_budget(int(2.5 * SAMPLE_RATE)) == 38
    assert short_budget(30 * SAMPLE_RATE) is None  # a full window: Whisper's own limit
    assert all(
        short_budget(n) is None or short_budget(n) < MAX_BUDGET for n in range(0, 480_000, 4000)
    )
