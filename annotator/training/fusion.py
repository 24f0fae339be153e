"""Whole labelled clips through both models: fusion evaluation and a learned joint fusion head.

The 2022 project trained a video branch, an audio branch and a fusion head together on RAVDESS's
audio-video files. Here the branches are the shipped speech and face models (frozen: there is no
paired corpus to retrain them on), and `train_learned_fusion` fits the fusion head on their
outputs for a folder of labelled audio-video clips, speaker-independently. The shipped default
stays the calibrated late fusion (see README: with no large paired corpus available, a learned
head cannot be trained or measured credibly here).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from annotator.emotion.fusion import AudioEvidence, FaceEvidence, fuse
from annotator.emotion.labels import LABELS
from annotator.emotion.learned_fusion import LearnedFusion, head_features
from annotator.emotion.tagger import EmotionTagger
from annotator.faces import FaceDetector
from annotator.options import Options
from annotator.training import metrics
from annotator.training.corpora import SpeechClip
from annotator.training.linear import fit_logistic_regression


def clip_evidence(
    paths: Sequence[Path], tagger: EmotionTagger, detector: FaceDetector, options: Options
) -> list[tuple[AudioEvidence, FaceEvidence | None]]:
    """Each whole clip as one utterance, through exactly the pipeline's stages (no ASR)."""
    from annotator import media
    from annotator.faces import speaker_faces

    evidence = []
    for path in paths:
        info = media.probe(path)
        audio = media.decode_audio(info).samples[:]  # a short clip, whole
        duration = len(audio) / media.SAMPLE_RATE
        faces = speaker_faces(
            info, [(0.0, duration)], detector, options.face_fps, options.frame_width
        )
        evidence.extend((e.audio, e.face) for e in tagger.evidence([audio], faces))
    return evidence


def _fit(features: np.ndarray, labels: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    return fit_logistic_regression(features, labels, c=1.0, seed=seed, max_iter=2000)


def train_learned_fusion(
    clips: Sequence[SpeechClip],
    evidence: Sequence[tuple[AudioEvidence, FaceEvidence | None]],
    out: Path,
    seed: int = 0,
    held_out_share: float = 0.25,
) -> dict:
    """Fit the head speaker-independently: the speakers sorted by name, the last quarter held
    out for the reported accuracy; the saved head is then refitted on every speaker."""
    if len({c.label for c in clips}) < 2:
        raise ValueError("need clips of at least two emotions to train a fusion head")
    features = np.stack([head_features(a, f) for a, f in evidence])
    labels = np.array([LABELS.index(c.label) for c in clips])
    speakers = sorted({c.speaker for c in clips})
    n_held = max(1, round(len(speakers) * held_out_share)) if len(speakers) > 1 else 0
    held_out = set(speakers[len(speakers) - n_held :])
    test = np.array([c.speaker in held_out for c in clips])
    report: dict = {"clips": len(clips), "speakers": speakers, "held_out": sorted(held_out)}
    if test.any() and (~test).any() and len(set(labels[~test])) >= 2:
        coef, intercept = _fit(features[~test], labels[~test], seed)
        head = LearnedFusion(coef, intercept, {})
        predicted = [
            int(np.argmax(head.fuse(*evidence[i]).probabilities)) for i in np.where(test)[0]
        ]
        matrix = metrics.confusion_matrix(labels[test], predicted, len(LABELS))
        report["held_out_accuracy"] = metrics.accuracy(matrix)
        late = [int(np.argmax(fuse(*evidence[i]).probabilities)) for i in np.where(test)[0]]
        late_matrix = metrics.confusion_matrix(labels[test], late, len(LABELS))
        report["held_out_accuracy_late_fusion"] = metrics.accuracy(late_matrix)
    coef, intercept = _fit(features, labels, seed)
    metadata = {"data": ", ".join(sorted({str(c.path.parent) for c in clips})), "seed": seed}
    metadata["report"] = report
    LearnedFusion(coef, intercept, metadata).save(out)
    return report


def evaluate_fusion(
    clips: Sequence[SpeechClip],
    evidence: Sequence[tuple[AudioEvidence, FaceEvidence | None]],
    fusion=fuse,
) -> dict:
    """Per-clip audio, face and fused labels against the truth, and each side's accuracy."""
    rows = []
    for clip, (audio, face) in zip(clips, evidence, strict=True):
        fused = fusion(audio, face)
        rows.append(
            {
                "clip": clip.path.name,
                "truth": clip.label,
                "audio": LABELS[int(np.argmax(audio.probabilities))],
                "face": LABELS[int(np.argmax(face.probabilities))] if face else None,
                "fused": LABELS[int(np.argmax(fused.probabilities))],
                "fused_confidence": round(float(np.max(fused.probabilities)), 3),
                "weights": fused.weights,
            }
        )
    result: dict = {"clips": rows, "n": len(rows)}
    audio_only = [audio for audio, face in evidence if face is None]
    if audio_only:
        # With no face the fusion must hand back the voice model's scores unchanged.
        same = sum(
            np.array_equal(fusion(a, None).probabilities, a.probabilities) for a in audio_only
        )
        result["audio_only_fused_equals_audio"] = f"{same} of {len(audio_only)}"
    truth = [LABELS.index(r["truth"]) for r in rows]
    for side in ("audio", "face", "fused"):
        pairs = [(t, LABELS.index(r[side])) for t, r in zip(truth, rows, strict=True) if r[side]]
        if pairs:
            matrix = metrics.confusion_matrix(*zip(*pairs, strict=True), len(LABELS))
            result[side] = {
                "accuracy": metrics.accuracy(matrix),
                "uar": metrics.unweighted_average_recall(matrix),
                "n": len(pairs),
            }
    result["accuracy"] = result.get("fused", {}).get("accuracy", 0.0)
    result["uar"] = result.get("fused", {}).get("uar", 0.0)
    return result


def render_fusion_evaluation(result: dict) -> str:
    lines = [f"{'clip':32} {'truth':10} {'audio':10} {'face':10} {'fused':10} conf"]
    for row in result["clips"]:
        lines.append(
            f"{row['clip'][:32]:32} {row['truth']:10} {row['audio']:10} "
            f"{row['face'] or '-':10} {row['fused']:10} {row['fused_confidence']:.2f}"
        )
    for side in ("audio", "face", "fused"):
        if side in result:
            numbers = result[side]
            lines.append(
                f"{side:6} accuracy {numbers['accuracy']:.3f}  UAR {numbers['uar']:.3f}  "
                f"(n={numbers['n']})"
            )
    if "audio_only_fused_equals_audio" in result:
        same = result["audio_only_fused_equals_audio"]
        lines.append(f"clips without a face whose fused scores equal the voice model's: {same}")
    return "\n".join(lines)
