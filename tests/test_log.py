"""Warnings go through `logging`: collected per recording, routed anywhere, printed by the CLI."""

from __future__ import annotations

import logging
import threading

from annotator.log import collect_warnings, install_command_line_handler, unique, warn


def test_a_recordings_warnings_are_collected_one_line_each(caplog):
    with caplog.at_level(logging.WARNING, logger="annotator"):
        with collect_warnings() as warned:
            warn("annotator.media", "audio stream damaged:\n  3 packets lost")
            logging.getLogger("annotator.asr.auto").warning("does not sound like English")
            logging.getLogger("annotator.media").info("not a warning")
            logging.getLogger("elsewhere").warning("not ours")
        warn("annotator.media", "after the recording")
    assert warned == ["audio stream damaged: 3 packets lost", "does not sound like English"]
    # The records still reach the application's own logging (here pytest's capture).
    assert [r.name for r in caplog.records if r.name.startswith("annotator")] == [
        "annotator.media",
        "annotator.asr.auto",
        "annotator.media",
    ]
    assert unique(["a", "b", "a"]) == ["a", "b"]


def test_another_threads_warnings_are_not_this_recordings():
    with collect_warnings() as warned:
        other = threading.Thread(target=warn, args=("annotator.media", "another recording"))
        other.start()
        other.join()
        warn("annotator.media", "this recording")
    assert warned == ["this recording"]


def test_the_command_line_prints_warnings_outside_a_recording_only():
    printed: list[str] = []
    handler = install_command_line_handler(printed.append)
    try:
        warn("annotator.batch", "cannot read folder x")
        with collect_warnings() as warned:
            warn("annotator.media", "damaged")  # printed later, with the recording's name
    finally:
        logging.getLogger("annotator").removeHandler(handler)
    assert printed == ["annotate: warning: cannot read folder x"]
    assert warned == ["damaged"]
