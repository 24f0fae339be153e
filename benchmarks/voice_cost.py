"""CPU cost of two speech-emotion weights files on the same utterances, and of each part.

    python benchmarks/voice_cost.py --old FIRST.npz [--new WEIGHTS.npz] [--clips 60]

Runs each model's `predict` (features + head, as the pipeline's voice stage does) on the first
`--clips` EMOVO clips (about 3 s each), twice, and reports the second pass's CPU seconds; then
the parts of the new recipe: the encoder (up to its highest layer) and the prosodic functionals.
The voice stage's share of transcription on the 10-minute benchmark recording is then the
measured share of the old model (README: `benchmarks/emotion_cost.py`) times the ratio here.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path


def cpu(work) -> float:
    work()  # warm: lazy loads, allocator
    started = time.process_time()
    work()
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", type=Path, required=True)
    parser.add_argument("--new", type=Path, default=None, help="default: the shipped weights")
    parser.add_argument("--data", type=Path, default=Path("../shared/data/emovo"))
    parser.add_argument("--clips", type=int, default=60)
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")

    from annotator.emotion import prosody
    from annotator.emotion.audio import SpeechEmotionModel
    from annotator.emotion.encoder import bundled_encoder
    from annotator.training.corpora import load_audio, read_corpus

    encoder = bundled_encoder(threads=1)
    audios = [load_audio(c.path) for c in read_corpus(args.data)[: args.clips]]
    seconds = sum(a.size for a in audios) / 16000
    old, new = SpeechEmotionModel.load(args.old), SpeechEmotionModel.load(args.new)
    old_cpu = cpu(lambda: old.predict(audios, encoder))
    new_cpu = cpu(lambda: new.predict(audios, encoder))
    print(f"{len(audios)} clips, {seconds:.0f} s of speech, CPU seconds (one thread):")
    print(f"  old {old.name}: {old_cpu:.2f}")
    print(f"  new {new.name}: {new_cpu:.2f}  ({new_cpu / old_cpu:.2f}x)")
    if new.recipe.layers:
        upto = max(new.recipe.layers)
        layers_cpu = cpu(lambda: [encoder.encode_layers(a, upto) for a in audios])
        print(f"    encoder up to layer {upto}: {layers_cpu:.2f}")
    if new.recipe.prosody:
        print(f"    prosody: {cpu(lambda: [prosody.functionals(a) for a in audios]):.2f}")


if __name__ == "__main__":
    main()
