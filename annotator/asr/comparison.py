"""Deciding between close languages by decoding the same speech in each.

Each candidate language decodes the speech greedily once (no temperature fallback: how badly
the first pass goes is the measurement). A decoding that loops is no evidence: compression ratio
above 2.4 (Whisper's own threshold), a run of up to four tokens four times in a row (a loop too
short for the compression ratio to show: "Bumjūrātu, Upāuūrūrūrūrūrū" on 4 s of French), or the
token budget for that much speech used up. Of the rest, `decide` picks the best average token
log-probability when it means something (see there).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from annotator.asr.budget import token_budget
from annotator.asr.result import Decoding
from annotator.media import SAMPLE_RATE

COMPARE_SECONDS = 30.0  # one Whisper window: each candidate is one decoding
LOOP_NGRAM, LOOP_TIMES = 4, 4  # a run of up to 4 tokens 4 times in a row is a loop
# Whisper's log_prob_threshold: a decoding whose average token log-probability is below it is
# one Whisper itself would retry. Above it, the best decoding's language wins.
GOOD_LOGPROB = -1.0
# When no decoding is good, the best one must beat every other by this much (nats per token)
# to count; otherwise the language identifier's aggregate decides. Measured: an AMI excerpt
# with 0.8 s of speech decodes in English at -1.26 against -2.51 in Norwegian (the identifier's
# pick); 2.5 s cut from the middle of synthetic Spanish, French and Russian sentences decode
# badly in every candidate, 0.1-0.4 apart (benchmarks/languages.py).
MARGIN = 0.5


@dataclass(frozen=True)
class Window:
    start: float  # seconds into the recording where its first speech begins
    samples: np.ndarray  # speech only, silences left out


def comparison_speech(windows: Sequence[Window], seconds: float = COMPARE_SECONDS) -> np.ndarray:
    """An equal slice from the start of every window, `seconds` in all at most."""
    each = int(seconds * SAMPLE_RATE / len(windows))
    return np.concatenate([w.samples[:each] for w in windows])


def decide(decodings: Sequence[Decoding]) -> str | None:
    """The language the decodings speak for, or None when they say nothing clear."""
    ranked = sorted((d for d in decodings if d.accepted), key=lambda d: d.avg_logprob or -math.inf)
    if not ranked:
        return None
    best = ranked[-1]
    score = best.avg_logprob or -math.inf
    if score >= GOOD_LOGPROB:
        return best.language
    runner_up = ranked[-2].avg_logprob if len(ranked) > 1 else None
    if runner_up is None or score - (runner_up or -math.inf) >= MARGIN:
        return best.language
    return None


def decode(
    model, name: str, speech: np.ndarray, languages: Sequence[str]
) -> Iterator[tuple[str, Decoding]]:
    """`speech` (at most 30 s) encoded once by `model` (a faster_whisper.WhisperModel), then
    decoded greedily in each language (an English-only model: English only)."""
    from faster_whisper.audio import pad_or_trim
    from faster_whisper.tokenizer import Tokenizer
    from faster_whisper.transcribe import get_compression_ratio, get_suppressed_tokens

    if not languages:
        return
    encoded = model.encode(pad_or_trim(model.feature_extractor(speech)))
    budget = token_budget(len(speech))
    multilingual = model.model.is_multilingual
    for language in languages:
        tokenizer = Tokenizer(
            model.hf_tokenizer,
            multilingual,
            task="transcribe",
            language=language if multilingual else None,
        )
        prompt = list(tokenizer.sot_sequence) + [tokenizer.no_timestamps]
        result = model.model.generate(
            encoded,
            [prompt],
            beam_size=1,
            max_length=min(len(prompt) + budget, model.max_length),
            return_scores=True,
            return_no_speech_prob=True,
            suppress_blank=True,
            suppress_tokens=get_suppressed_tokens(tokenizer, [-1]),
        )[0]
        tokens = list(result.sequences_ids[0])
        text = tokenizer.decode(tokens).strip()
        # faster-whisper's average log-probability (length penalty 1): the score is the
        # cumulative log-probability over the tokens, averaged with the end token counted.
        average = result.scores[0] * len(tokens) / (len(tokens) + 1) if tokens else None
        yield (
            language,
            Decoding(
                language=language,
                model=name,
                avg_logprob=round(float(average), 4) if average is not None else None,
                compression_ratio=round(get_compression_ratio(text), 2) if text else 0.0,
                no_speech_prob=round(float(result.no_speech_prob), 4),
                tokens=len(tokens),
                loops=len(tokens) >= budget or repeats(tokens),
                text=text[:80],
            ),
        )


def repeats(tokens: Sequence[int], longest: int = LOOP_NGRAM, times: int = LOOP_TIMES) -> bool:
    """Whether some run of 1-`longest` tokens comes `times` times in a row."""
    for n in range(1, longest + 1):
        for begin in range(len(tokens) - n * times + 1):
            gram = list(tokens[begin : begin + n])
            if all(list(tokens[begin + k * n : begin + (k + 1) * n]) == gram for k in range(times)):
                return True
    return False
