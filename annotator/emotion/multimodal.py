"""Whole labelled clips through both models: fusion evaluation and the seed's joint model.

The 2022 project trained a video branch, an audio branch and a fusion head together on RAVDESS's
audio-video files. Here the branches are the shipped speech and face models (frozen: there is no
paired corpus to retrain them on), and `train_learned_fusion` fits the fusion head on their
outputs for a folder of labelled audio-video clips, speaker-independently. The shipped default
stays the calibrated late fusion (see README: with no large paired corpus available, a learned
head cannot be trained or measured credibly here).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from annotator.training import metrics
from annotator.emotion.fusion import (
    AudioEvidence,
    FaceEvidence,
    FusionResult,
    audio_reliability,
    face_reliability,
    fuse,
)
from annotator.emotion.labels import CREMA_D_CODES, LABELS
from annotator.emotion.speech_data import parse_ravdess_name

FORMAT = "annotator.learned-fusion/1"
_CREMA_D = re.compile(r"^(\d{4})_[A-Z]{3}_(ANG|DIS|FEA|HAP|NEU|SAD)_")


@dataclass(frozen=True)
class LabelledClip:
    path: Path
    label: str
    speaker: str


def label_from_name(path: Path) -> LabelledClip | None:
    """RAVDESS (`MM-VV-EE-II-SS-RR-AA`: speech with sound, audio-video or audio-only) or CREMA-D
    (`1001_DFA_ANG_XX`) file names carry the label and the speaker."""
    name = parse_ravdess_name(path)
    if name is not None:
        if name.modality in ("01", "03") and name.vocal_channel == "01":
            return LabelledClip(path, name.label, f"ravdess_{name.actor}")
        return None
    if match := _CREMA_D.match(path.name):
        return LabelledClip(path, CREMA_D_CODES[match.group(2)], f"cremad_{match.group(1)}")
    return None


def read_labelled_clips(folders: Sequence[Path]) -> list[LabelledClip]:
    """Every labelled recording below the folders, in path order."""
    from annotator.media import MEDIA_EXTENSIONS

    clips = []
    for folder in folders:
        for path in sorted(Path(folder).rglob("*")):
            if path.suffix.lower() in MEDIA_EXTENSIONS and (clip := label_from_name(path)):
                clips.append(clip)
    return clips


def clip_evidence(
    paths: Sequence[Path], tagger, detector, face_fps: float = 2.0, frame_width: int = 640
) -> list[tuple[AudioEvidence, FaceEvidence | None]]:
    """Each whole clip as one utterance, through exactly the pipeline's stages (no ASR)."""
    from annotator import media
    from annotator.faces import speaker_faces

    evidence = []
    for path in paths:
        info = media.probe(path)
        audio = media.decode_audio(info).samples
        duration = len(audio) / media.SAMPLE_RATE
        faces = speaker_faces(info, [(0.0, duration)], detector, face_fps, frame_width)
        evidence.extend(tagger.evidence([audio], faces))
    return evidence


def head_features(audio: AudioEvidence, face: FaceEvidence | None) -> np.ndarray:
    """What the learned head sees: both sides' log-scores, their reliabilities, and whether a
    face was there at all (a missing face is zeros plus that flag, never invented scores)."""
    log_audio = np.log(np.clip(audio.probabilities, 1e-4, 1.0))
    if face is None:
        log_face, present, face_weight = np.zeros(len(LABELS)), 0.0, 0.0
    else:
        log_face = np.log(np.clip(face.probabilities, 1e-4, 1.0))
        present, face_weight = 1.0, face_reliability(face)
    extra = [present, face_weight, audio_reliability(audio)]
    return np.concatenate([log_audio, log_face, extra])


@dataclass
class LearnedFusion:
    """A multinomial logistic-regression head over `head_features`."""

    coef: np.ndarray  # (8, F); rows of classes absent from training are zero
    intercept: np.ndarray  # (8,); absent classes get -inf, i.e. probability 0
    metadata: dict

    @property
    def name(self) -> str:
        return f"learned fusion head ({self.metadata.get('data', 'user data')})"

    def fuse(self, audio: AudioEvidence, face: FaceEvidence | None) -> FusionResult:
        logits = self.coef @ head_features(audio, face) + self.intercept
        logits = logits - logits.max()
        probabilities = np.exp(logits)
        return FusionResult(probabilities / probabilities.sum(), {"learned": 1.0})

    def save(self, path: Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            np.savez(
                handle,
                coef=self.coef,
                intercept=self.intercept,
                metadata=np.array(json.dumps({**self.metadata, "format": FORMAT})),
            )

    @classmethod
    def load(cls, path: Path) -> LearnedFusion:
        with np.load(path, allow_pickle=False) as arrays:
            metadata = json.loads(str(arrays["metadata"]))
            if metadata.get("format") != FORMAT:
                raise ValueError(f"{path}: not a learned-fusion weights file ({FORMAT})")
            return cls(arrays["coef"], arrays["intercept"], metadata)


def _fit(features: np.ndarray, labels: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1.0, max_iter=2000, random_state=seed)
    model.fit(features, labels)
    coef = np.zeros((len(LABELS), features.shape[1]))
    intercept = np.full(len(LABELS), -np.inf)
    classes = model.classes_
    if len(classes) == 2:  # sklearn stores one row for two classes: logit of the second
        coef[classes[1]], intercept[classes[1]] = model.coef_[0], model.intercept_[0]
        coef[classes[0]], intercept[classes[0]] = 0.0, 0.0
    else:
        coef[classes], intercept[classes] = model.coef_, model.intercept_
    return coef, intercept


def train_learned_fusion(
    clips: Sequence[LabelledClip],
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
    clips: Sequence[LabelledClip],
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
