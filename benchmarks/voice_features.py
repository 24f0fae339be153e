"""Cache every candidate voice feature of RAVDESS, EMOVO and the CREMA-D clips, once.

    nice -n 15 python benchmarks/voice_features.py --copies 1 --out /work/voice-cache
    nice -n 15 python benchmarks/voice_features.py --model base --copies 0 --out /work/voice-cache

For every clip and every version of it (the clip, then `--copies` realistic copies: gain, room,
noise / telephone / codec, `annotator/training/augment.py`, drawn exactly as `annotate train
audio` draws them), it stores the mean+std pooled states of every encoder layer (index 0 = the
convolutional front end, 1..n the layers before the final norm, n+1 = the last layer after the
final norm), the prosodic functionals, and (tiny.en, clip only) CTranslate2's own last-layer
pooling: the first model's features. `benchmarks/voice_transfer.py` then screens recipes on
these arrays in seconds. Output: `<out>/<model>_{ravdess,emovo,cremad}.npz` (derived from
CC BY-NC-SA / research-only corpora: kept outside the repository). One thread, as the
2-core machine is shared; tiny.en with one copy took about 25 minutes under load.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=("tiny.en", "base"), default="tiny.en")
    parser.add_argument("--copies", type=int, default=1, help="realistic copies per clip")
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import torch

    torch.set_num_threads(1)
    from annotator.emotion import prosody
    from annotator.emotion.audio import pool_states
    from annotator.emotion.encoder import WhisperEncoder
    from annotator.emotion.layer_encoder import LayerEncoder
    from annotator.training.augment import clip_rng, realistic
    from annotator.training.corpora import load_audio, read_crema_d, read_emovo, read_ravdess

    if args.model == "tiny.en":
        from annotator.asr.models import bundled_model_dir as model_dir
    else:
        from annotator.asr.extra_models import base_model_dir as model_dir
    ct2 = WhisperEncoder.from_model_dir(model_dir(), threads=1, name=args.model)
    layers = LayerEncoder.from_model_dir(model_dir(), args.model)
    corpora = {
        "emovo": read_emovo(args.shared / "data" / "emovo"),
        "cremad": read_crema_d(args.shared / "media" / "crema-d"),
        "ravdess": read_ravdess(args.shared / "data" / "ravdess-speech"),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    for name, clips in corpora.items():
        started = time.time()
        pooled: list[list[np.ndarray]] = [[] for _ in range(1 + args.copies)]
        functionals: list[list[np.ndarray]] = [[] for _ in range(1 + args.copies)]
        last_layer = []
        for i, clip in enumerate(clips):
            audio = load_audio(clip.path)
            # The same per-clip generator as extract_features: copy k of clip i.
            versions = [audio] + [
                realistic(audio, clip_rng(args.seed, i * 10 + k)) for k in range(args.copies)
            ]
            for v, version in enumerate(versions):
                states = layers.encode(ct2.features(version))
                row = [pool_states(s) for s in states] + [
                    pool_states(layers.final_norm(states[-1]))
                ]
                pooled[v].append(np.stack(row))
                functionals[v].append(prosody.functionals(version))
                if v == 0 and args.model == "tiny.en":
                    last_layer.append(pool_states(ct2.encode(version)))
            if i % 100 == 0:
                print(name, i, len(clips), round(time.time() - started), flush=True)
        arrays = {
            "labels": np.array([c.label_index for c in clips]),
            "speakers": np.array([c.speaker for c in clips]),
            "paths": np.array([str(c.path) for c in clips]),
        }
        for v in range(1 + args.copies):
            arrays[f"layers_{v}"] = np.stack(pooled[v]).astype(np.float32)
            arrays[f"prosody_{v}"] = np.stack(functionals[v])
        if last_layer:
            arrays["ct2"] = np.stack(last_layer)
        np.savez(args.out / f"{args.model}_{name}.npz", **arrays)
        print("saved", name, round(time.time() - started), "s", flush=True)


if __name__ == "__main__":
    main()
