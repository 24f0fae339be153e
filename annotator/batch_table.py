"""The summary a batch ends with: one table row per recording (and per speaker), one count line.

Rendering only: the results carry data (annotator.batch.Done), this turns it into text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from rich.table import Table

from annotator.batch import JobResult


def summary_table(results: Sequence[JobResult]) -> Table:
    """One row per recording, and one per speaker under it."""
    table = Table(title="annotate", show_lines=False)
    # Fold long paths rather than cutting them: the point of the table is to find files.
    for column in ("input", "output", "status", "utterances", "emotions (speaking time)"):
        table.add_column(column, overflow="fold")
    table.add_column("seconds", justify="right")
    for r in results:
        done = r.done
        table.add_row(
            str(r.job.input),
            str(r.job.output),
            r.status,
            str(done.utterances) if done else "",
            shares_text(done.emotion_share) if done else "",
            f"{r.seconds:.1f}",
        )
        for line in done.speakers if done else ():
            table.add_row(
                f"  {line.speaker} ({line.speaking_time:.1f} s speaking)",
                "",
                "",
                str(line.utterances),
                shares_text(line.emotion_share),
                "",
            )
    return table


def summary_line(results: Sequence[JobResult]) -> str:
    """'2 done, 1 up to date, 0 failed' (and how many another run has)."""
    count = Counter(r.status for r in results)
    line = f"{count['done']} done, {count['skipped']} up to date, {count['failed']} failed"
    return line + (f", {count['busy']} left to another run" if count["busy"] else "")


def shares_text(shares: dict[str, float], top: int = 3) -> str:
    """'neutral 55%, happy 30%, sad 15%': the largest shares of speaking time."""
    ranked = sorted(shares.items(), key=lambda item: -item[1])
    return ", ".join(f"{label} {share:.0%}" for label, share in ranked[:top] if share > 0)
