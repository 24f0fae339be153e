"""How many tokens a stretch of speech can plausibly hold: a decoding past that is a loop.

Whisper stops a decoding at 448 tokens (prompt included) whatever the audio's length, so a loop
on 2 s of speech ("Ja, ja, ja, ..." or one syllable over and over) costs as much as a full
30 s window, and again at every fallback temperature, five samples each. A budget in
proportion to the audio ends such loops early; the compression-ratio check still sees them and
the fallback still runs, on a fraction of the tokens.
"""

from __future__ import annotations

from annotator.media import SAMPLE_RATE

# 12 tokens a second covers fast speech in scripts that take several tokens a word (Hindi and
# Thai decode to ~10 a second, English to 3-4).
TOKENS_PER_SECOND = 12.0
# Above this the budget is not set: the prompt carried from the previous window (up to 228
# tokens) and the budget together must stay within Whisper's 448.
MAX_BUDGET = 200


def token_budget(samples: int) -> int:
    """The most new tokens `samples` of 16 kHz audio can hold."""
    return int(TOKENS_PER_SECOND * samples / SAMPLE_RATE) + 8


def short_budget(samples: int) -> int | None:
    """The budget for audio short enough to need one (about 16 s); None above."""
    budget = token_budget(samples)
    return budget if budget < MAX_BUDGET else None
