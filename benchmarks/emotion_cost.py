"""What diarization and the emotion models cost next to transcription, in one run on one file.

    python benchmarks/emotion_cost.py RECORDING

Prints the wall and CPU seconds of: transcription (faster-whisper, as the pipeline runs it),
diarization (segmentation, speaker embeddings, clustering), building the utterances (with
speech that has no words decoded again), the voice-emotion model on every utterance's
audio slice, face detection + alignment on the sampled frames, the face-expression model on
the aligned faces, and the text-emotion model on the utterances' words; and each one's ratio to
transcription (targets: diarization <= 25%, voice emotion <= 10%, text emotion <= 10%, faces +
expression <= 100%). No test runs it.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def timed(work: Callable[[], Any]) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("recording", type=Path)
    args = parser.parse_args()
    from annotator.runtime import set_runtime_environment

    set_runtime_environment()  # the annotate command's process settings, before any model loads

    from annotator import media
    from annotator.emotion.face import combine_frames  # noqa: F401  (load before timing)
    from annotator.pipeline import Annotator, Options

    annotator = Annotator(Options())
    tagger = annotator.tagger
    info, decoded = annotator.decode(args.recording)
    audio = decoded.samples
    asr, asr_wall, asr_cpu = timed(lambda: annotator.transcribe(decoded))
    diarization, diar_wall, diar_cpu = timed(lambda: annotator.diarize(decoded))
    utterances, utt_wall, utt_cpu = timed(lambda: annotator.utterances(decoded, asr, diarization))
    clips = list(annotator.clips(decoded, utterances))
    _, voice_wall, voice_cpu = timed(lambda: tagger.speech.predict(clips, tagger.encoder))
    scan, faces_wall, faces_cpu = timed(lambda: annotator.faces(info, decoded, utterances))
    faces = scan.utterances
    aligned = [f.aligned for found in faces if found for f in found.faces]
    _, expr_wall, expr_cpu = timed(lambda: tagger.face.predict(aligned))
    texts = [u.text for u in utterances]
    turns = tagger.text.context_turns  # as the tagger hands it: the model's own setting
    context = [texts[max(0, i - turns) : i] for i in range(len(texts))]
    _, text_wall, text_cpu = timed(lambda: tagger.text.predict(texts, context))
    speakers = {u.speaker for u in utterances}
    unworded = sum(not u.words for u in utterances)

    duration = len(audio) / media.SAMPLE_RATE
    print(
        f"recording: {args.recording} ({duration / 60:.1f} min, {len(utterances)} utterances, "
        f"{len(aligned)} faces)"
    )
    print("| stage | wall | CPU | wall / transcription |")
    print("|---|---:|---:|---:|")
    rows = [
        ("transcription (faster-whisper tiny.en)", asr_wall, asr_cpu),
        (f"diarization ({len(speakers)} speakers found)", diar_wall, diar_cpu),
        (f"utterances (speech without words decoded again: {unworded})", utt_wall, utt_cpu),
        ("voice emotion (encoder + head, all utterances)", voice_wall, voice_cpu),
        ("face detection + alignment (video streamed once)", faces_wall, faces_cpu),
        (f"face expression ({len(tagger.face.members)} networks, all faces)", expr_wall, expr_cpu),
        ("text emotion (all utterances, with context)", text_wall, text_cpu),
    ]
    for name, wall, cpu in rows:
        print(f"| {name} | {wall:.1f} s | {cpu:.1f} s | {wall / asr_wall:.0%} |")


if __name__ == "__main__":
    main()
