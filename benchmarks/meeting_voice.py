"""Voice-emotion accuracy on composed RAVDESS meetings of actors the speech model never heard.

    python benchmarks/meeting_voice.py --data ../shared/data --json /tmp/meeting_voice.json

1. Encodes RAVDESS speech once with the shipped recipe (clip + speed + trim copies), cached as a
   FeatureSet .npz (`--features`; the slow step: 1,440 clips x 3 encoder passes).
2. Trains one speech model per EmoBox fold on the other 20 actors (`fold_K.npz`, seed 0).
3. Composes meetings with `benchmarks/ravdess_meetings.py`: meeting i holds the actors of fold
   i mod 6 only, so each meeting is judged by the model that never saw its actors.
4. Runs the full pipeline (ASR, speakers, voice, text, fusion) on every meeting with its fold's
   model: `no-diarization` (default voice head everywhere) and `diarization` (the default:
   speakers with 3+ utterances get the speaker-normalised head). Then the pipeline's own
   emotion stage re-tags, with oracle knowledge: `true-speakers` (the no-diarization
   utterances with the true speakers: what perfect diarization would give), `true-turns` (the
   true turn boundaries and words, default head) and `true-turns+spk` (and the true speakers):
   what perfect segmentation would give.
5. Matches every true turn to the transcript utterance that overlaps it most and reports voice
   (`emotion.audio.label`) and fused (`emotion.label`) accuracy and UAR over the 8 labels and
   with neutral = calm, overall and per fold, plus the voice on turns that have an utterance to
   themselves and the fold models on the whole original clips; `--json` keeps everything.

The meetings are audio-only and every turn says one of RAVDESS's two fixed sentences, so the
fused label is the voice plus a near-uninformative text branch. RAVDESS is CC BY-NC-SA 4.0:
the meetings and features are derived data, kept outside the repository.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from annotator.runtime import set_runtime_environment

set_runtime_environment()  # the annotate command's process settings, before any library loads

from annotator import media  # noqa: E402
from annotator.cache import cache_dir  # noqa: E402
from annotator.emotion.labels import LABEL_INDEX, LABELS  # noqa: E402
from annotator.training import metrics  # noqa: E402
from annotator.training.audio import (  # noqa: E402
    DEFAULT_AUGMENTATIONS,
    EMOBOX_FOLDS,
    FeatureSet,
    extract_features,
    train_speech_model,
)
from annotator.training.corpora import read_corpus  # noqa: E402

COMPOSER = Path(__file__).with_name("ravdess_meetings.py")
CONFIGS = (
    "no-diarization",
    "diarization",
    "true-speakers",
    "true-turns",
    "true-turns+spk",
)
SPEAKER_HEAD = "speaker-normalised"
MERGE = {LABEL_INDEX["calm"]: LABEL_INDEX["neutral"]}  # conversations do not tell them apart


# --- 1. features -----------------------------------------------------------------------------


def load_or_extract_features(corpus: Path, path: Path, threads: int) -> FeatureSet:
    """The shipped recipe's features of every RAVDESS speech clip, encoded once and cached."""
    clips = read_corpus(corpus)
    if path.is_file():
        features = FeatureSet.load(path)
        # Resolved: the cache may have been written from another working directory.
        expected = [c.path.resolve() for c in clips]
        cached = [Path(p).resolve() for p in features.paths]
        if cached != expected or features.augmentations != DEFAULT_AUGMENTATIONS:
            raise SystemExit(f"{path}: cached for other clips or augmentations; delete it")
        return features
    from annotator.emotion.encoder import bundled_encoder

    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        if done % 100 == 0 or done == total:
            print(f"  encoded {done}/{total} clips, {time.perf_counter() - started:.0f} s")

    print(f"encoding {len(clips)} clips x {1 + len(DEFAULT_AUGMENTATIONS)} (cache: {path})")
    features = extract_features(
        clips,
        encoder=bundled_encoder(threads),
        augmentations=DEFAULT_AUGMENTATIONS,
        seed=0,
        progress=progress,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.stem + ".partial.npz")  # a killed run leaves no bad cache
    features.save(partial)
    partial.replace(path)
    return features


def subset(features: FeatureSet, rows: np.ndarray) -> FeatureSet:
    return FeatureSet(
        features=features.features[rows],
        labels=features.labels[rows],
        speakers=features.speakers[rows],
        paths=[features.paths[i] for i in rows],
        augmented=[a[rows] for a in features.augmented],
        augmentations=features.augmentations,
    )


# --- 2. fold models --------------------------------------------------------------------------


def actor_ids(fold: tuple[int, ...]) -> list[str]:
    return [f"{a:02d}" for a in fold]


def fold_models(
    features: FeatureSet, corpus: Path, out: Path, seed: int, threads: int
) -> list[Path]:
    """fold_K.npz trained without fold K's actors; reused when its record shows the same
    training actors, clips and seed."""
    from annotator.emotion.encoder import bundled_encoder

    out.mkdir(parents=True, exist_ok=True)
    encoder = None  # only named in the weights' metadata (the features are precomputed)
    paths = []
    for k, fold in enumerate(EMOBOX_FOLDS, start=1):
        rows = np.flatnonzero(~np.isin(features.speakers, actor_ids(fold)))
        train = subset(features, rows)
        record = {
            "held_out_actors": actor_ids(fold),
            "training_actors": sorted(set(train.speakers.tolist())),
            "clips": len(rows),
            "seed": seed,
            "augmentations": list(train.augmentations),
        }
        path, note = out / f"fold_{k}.npz", out / f"fold_{k}.json"
        if not (path.is_file() and note.is_file() and json.loads(note.read_text()) == record):
            started = time.perf_counter()
            encoder = encoder or bundled_encoder(threads)
            train_speech_model(corpus, path, seed=seed, encoder=encoder, features=train)
            note.write_text(json.dumps(record, indent=1) + "\n")
            print(
                f"  fold {k}: trained on {len(rows)} clips in {time.perf_counter() - started:.0f} s"
            )
        assert not set(record["training_actors"]) & set(record["held_out_actors"])
        paths.append(path)
    return paths


# --- 3. meetings -----------------------------------------------------------------------------


def compose_meetings(data: Path, out: Path, count: int, seed: int) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, str(COMPOSER), "--data", str(data), "--out", str(out)]
    command += ["--meetings", str(count), "--seed", str(seed)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return [out / f"meeting_{i:02d}.truth.json" for i in range(count)]


def meeting_fold(truth: dict[str, Any]) -> int:
    """The (1-based) EmoBox fold holding every actor of the meeting."""
    actors = set(truth["actors"])
    for k, fold in enumerate(EMOBOX_FOLDS, start=1):
        if actors <= set(fold):
            return k
    raise ValueError(f"actors {sorted(actors)} span several folds: no model has never heard them")


# --- 4. pipeline runs ------------------------------------------------------------------------


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> float:
    return max(0.0, min(a[1], b[1]) - max(a[0], b[0]))


def best_match(span: tuple[float, float], candidates: list[tuple[float, float]]) -> int | None:
    """Index of the candidate overlapping `span` most; None when none overlaps it."""
    overlaps = [_overlap(span, c) for c in candidates]
    if not overlaps or max(overlaps) <= 0:
        return None
    return int(np.argmax(overlaps))


@dataclass
class Row:
    """One true turn and what a configuration said about it (None: no utterance overlapped)."""

    meeting: str
    fold: int
    truth: str
    voice: str | None
    fused: str | None
    head: str | None
    shared: bool = False  # its transcript utterance also covers another true turn


@dataclass
class Run:
    meeting: str
    fold: int
    config: str
    utterances: int
    speakers_found: int
    true_speakers: int
    speaker_normalised: int  # transcript utterances whose voice the speaker head scored
    seconds: float
    rows: list[Row] = field(default_factory=list)


def score_rows(meeting: str, fold: int, truth: dict[str, Any], utterances: list[Any]) -> list[Row]:
    spans = [(u.start, u.end) for u in utterances]
    matches = [best_match((t["start"], t["end"]), spans) for t in truth["utterances"]]
    rows = []
    for true, index in zip(truth["utterances"], matches, strict=True):
        emotion = utterances[index].emotion if index is not None else None
        rows.append(
            Row(
                meeting=meeting,
                fold=fold,
                truth=true["emotion"],
                voice=emotion.audio.label if emotion and emotion.audio else None,
                fused=emotion.label if emotion else None,
                head=emotion.audio.head if emotion and emotion.audio else None,
                shared=index is not None and matches.count(index) > 1,
            )
        )
    return rows


def oracle_speakers(truth: dict[str, Any], utterances: list[Any]) -> list[str]:
    """The true speaker of each transcript utterance: the one of the turn it overlaps most."""
    turns = [(t["start"], t["end"]) for t in truth["utterances"]]
    speakers = []
    for i, u in enumerate(utterances):
        index = best_match((u.start, u.end), turns)
        speakers.append(truth["utterances"][index]["speaker"] if index is not None else f"?{i}")
    return speakers


# The code that decides a transcript's utterances and speakers (not its emotions, re-run anyway).
SEGMENTATION_CODE = (
    "pipeline.py",
    "utterances.py",
    "speakers.py",
    "diarization/*.py",
    "media.py",
    "asr/*.py",
)


def run_key(weights: Path | None, options: Any) -> str:
    """What a saved transcript's utterances and speakers depend on: the run's settings and the
    code that segments and diarizes (plus the speech weights, to keep a transcript with the
    model that tagged it)."""
    import annotator

    package = Path(annotator.__file__).parent
    code = hashlib.sha256()
    for pattern in SEGMENTATION_CODE:
        for path in sorted(package.glob(pattern)):
            code.update(path.read_bytes())
    digest = hashlib.sha256(Path(weights).read_bytes()).hexdigest() if weights else "shipped"
    key = {"speech_weights": digest, "code": code.hexdigest(), **options.recorded()}
    return json.dumps(key, sort_keys=True)


def run_fold(
    fold: int,
    weights: Path | None,
    meetings: list[tuple[Path, dict[str, Any]]],
    threads: int,
    oracle: bool,
    transcripts: Path,
    text: bool = True,
) -> list[Run]:
    """Every meeting of one fold through the pipeline, one Annotator per configuration.

    The emotion labels scored are always those of the pipeline's emotion stage run now on the
    transcript's utterances, speakers and words (checked equal to the pipeline's own labels on
    a fresh transcript). So a transcript saved by an earlier run with the same settings is
    reused for its utterances and speakers only: an interrupted benchmark resumes, and a
    changed text or fusion model costs a re-tag, not a new transcription.
    """
    from annotator import Annotator, Options, Transcript

    runs = []
    for diarize in (False, True):
        options = Options(
            speech_weights=weights, diarize=diarize, threads=threads, text_emotion=text
        )
        key = run_key(weights, options)
        annotator = Annotator(options)
        config = CONFIGS[1] if diarize else CONFIGS[0]
        for truth_path, truth in meetings:
            recording = truth_path.with_name(truth["recording"])
            name = recording.stem
            out = transcripts / f"{name}.{config}.json"
            saved = out.with_suffix(".key")
            fresh = not (out.is_file() and saved.is_file() and saved.read_text() == key)
            if fresh:
                started = time.perf_counter()
                transcript = annotator.annotate(recording).transcript
                seconds = time.perf_counter() - started
                out.write_text(json.dumps(transcript.to_dict(), indent=1) + "\n")
                saved.with_suffix(".seconds").write_text(f"{seconds:.1f}\n")
                saved.write_text(key)
            else:
                transcript = Transcript.from_dict(json.loads(out.read_text()))
                seconds = float(saved.with_suffix(".seconds").read_text())
            utterances = transcript.utterances
            samples = media.decode_audio(media.probe(recording)).samples[:]
            speakers = [u.speaker for u in utterances] if utterances[0].speaker else None
            run = retag(annotator, samples, truth, utterances, speakers, config, name, fold)
            run.seconds = round(seconds, 1)
            if fresh:
                check_same_labels(transcript, run, truth)
            runs.append(run)
            print(f"  {name} fold {fold} {config}: {len(utterances)} utterances, {seconds:.0f} s")
            if oracle and not diarize:
                runs += oracle_runs(annotator, samples, truth, transcript, name, fold)
    return runs


def check_same_labels(transcript: Any, run: Run, truth: dict[str, Any]) -> None:
    """The re-tag must reproduce the pipeline's labels, or the benchmark would score
    something other than what `annotate` writes."""
    own = score_rows(run.meeting, run.fold, truth, transcript.utterances)
    differ = sum(
        (a.voice, a.fused) != (b.voice, b.fused) for a, b in zip(own, run.rows, strict=True)
    )
    if differ:
        print(
            f"  WARNING {run.meeting} {run.config}: {differ} turns labelled differently by the "
            "re-tag than by the pipeline",
            file=sys.stderr,
        )


def retag(
    annotator: Any,
    samples: np.ndarray,
    truth: dict[str, Any],
    utterances: list[Any],
    speakers: list[str] | None,
    config: str,
    meeting: str,
    fold: int,
) -> Run:
    """`utterances` re-tagged by the pipeline's own emotion stage with the given speakers
    (None: no speakers, the default head), with the same padding and words as in the pipeline."""
    started = time.perf_counter()
    clips = [annotator.audio_slice(samples, u) for u in utterances]
    texts = [u.text for u in utterances]
    tagged = annotator.tagger.tag(clips, [None] * len(clips), speakers, texts)
    # Copies: the transcript the utterances came from keeps its own labels.
    retagged = [
        replace(u, emotion=t.emotion, speaker=speakers[i] if speakers else None)
        for i, (u, t) in enumerate(zip(utterances, tagged, strict=True))
    ]
    return Run(
        meeting=meeting,
        fold=fold,
        config=config,
        utterances=len(retagged),
        speakers_found=len(set(speakers or ())),
        true_speakers=len({t["speaker"] for t in truth["utterances"]}),
        speaker_normalised=sum(t.emotion.audio.head == SPEAKER_HEAD for t in tagged),
        seconds=round(time.perf_counter() - started, 1),
        rows=score_rows(meeting, fold, truth, retagged),
    )


def oracle_runs(
    annotator: Any,
    samples: np.ndarray,
    truth: dict[str, Any],
    transcript: Any,
    name: str,
    fold: int,
) -> list[Run]:
    """What perfect speakers, and perfect turns as well, would give: the no-diarization
    utterances with the true speakers; then the true turns themselves (true boundaries and
    words) with the default head and with the true speakers."""
    from annotator import Utterance

    found = transcript.utterances
    turns = [
        Utterance(id=i, start=t["start"], end=t["end"], text=t["text"])
        for i, t in enumerate(truth["utterances"])
    ]
    true = [t["speaker"] for t in truth["utterances"]]
    return [
        retag(
            annotator, samples, truth, found, oracle_speakers(truth, found), CONFIGS[2], name, fold
        ),
        retag(annotator, samples, truth, turns, None, CONFIGS[3], name, fold),
        retag(annotator, samples, truth, turns, true, CONFIGS[4], name, fold),
    ]


# --- 5. scores -------------------------------------------------------------------------------


def scores(truth: list[int], predicted: list[int]) -> dict[str, float]:
    merged_truth = [MERGE.get(t, t) for t in truth]
    merged_predicted = [MERGE.get(p, p) for p in predicted]
    matrix = metrics.confusion_matrix(truth, predicted, len(LABELS))
    merged = metrics.confusion_matrix(merged_truth, merged_predicted, len(LABELS))
    return {
        "accuracy": metrics.accuracy(matrix),
        "uar": metrics.unweighted_average_recall(matrix),
        "accuracy_merged": metrics.accuracy(merged),
        "uar_merged": metrics.unweighted_average_recall(merged),
    }


def summarise(rows: list[Row]) -> dict[str, Any]:
    """Voice and fused scores over the true turns that some utterance overlapped."""
    matched = [r for r in rows if r.voice is not None]
    truth = [LABEL_INDEX[r.truth] for r in matched]
    result: dict[str, Any] = {"turns": len(rows), "matched": len(matched)}
    for branch in ("voice", "fused"):
        predicted = [LABEL_INDEX[getattr(r, branch)] for r in matched]
        result[branch] = scores(truth, predicted)
        matrix = metrics.confusion_matrix(truth, predicted, len(LABELS))
        result[branch]["confusion_matrix"] = matrix.tolist()
    result["speaker_normalised_share"] = (
        sum(r.head == SPEAKER_HEAD for r in matched) / len(matched) if matched else 0.0
    )
    result["shared_utterance_share"] = (
        sum(r.shared for r in matched) / len(matched) if matched else 0.0
    )
    # Turns whose utterance holds no other turn: the voice judged on one emotion's speech.
    alone = [r for r in matched if not r.shared]
    result["voice_alone"] = scores(
        [LABEL_INDEX[r.truth] for r in alone], [LABEL_INDEX[r.voice] for r in alone]
    )
    result["voice_alone"]["turns"] = len(alone)
    return result


def clip_reference(features: FeatureSet, models: list[Path]) -> dict[str, Any]:
    """The same fold models on the held-out actors' original clips (no pipeline): what the
    voice does on whole RAVDESS files, for comparison with meeting turns."""
    from annotator.emotion.audio import SpeechEmotionModel

    truth, default, normalised = [], [], []
    for fold, path in zip(EMOBOX_FOLDS, models, strict=True):
        rows = np.flatnonzero(np.isin(features.speakers, actor_ids(fold)))
        model = SpeechEmotionModel.load(path)
        x = features.features[rows]
        truth += features.labels[rows].tolist()
        default += model.predict_features(x).argmax(axis=1).tolist()
        normalised += model.predict_features(x, features.speakers[rows]).argmax(axis=1).tolist()
    return {
        "clips": len(truth),
        "default_head": scores(truth, default),
        "speaker_normalised_head": scores(truth, normalised),
    }


def report(runs: list[Run], reference: dict[str, Any]) -> dict[str, Any]:
    configs = [c for c in CONFIGS if any(r.config == c for r in runs)]
    result: dict[str, Any] = {"configs": {}, "clip_reference": reference}
    for config in configs:
        own = [r for r in runs if r.config == config]
        rows = [row for r in own for row in r.rows]
        folds = sorted({r.fold for r in own})
        utterances = sum(r.utterances for r in own)
        result["configs"][config] = {
            **summarise(rows),
            "utterances": utterances,
            "utterance_speaker_normalised_share": (
                sum(r.speaker_normalised for r in own) / utterances if utterances else 0.0
            ),
            "folds": {str(k): summarise([row for row in rows if row.fold == k]) for k in folds},
            "meetings": [
                {key: value for key, value in r.__dict__.items() if key != "rows"}
                | {"voice": summarise(r.rows)["voice"]["accuracy"]}
                for r in own
            ],
        }
    return result


def format_report(result: dict[str, Any]) -> str:
    lines = [
        "Voice and fused emotion on composed RAVDESS meetings, actors unseen by their fold model",
        "(true turns matched to the transcript utterance overlapping most; 8 labels | "
        "neutral = calm)",
        "",
        f"{'configuration':16} {'turns':>9} {'spk-norm':>8}  "
        f"{'voice acc':>9} {'UAR':>6} | {'acc':>6} {'UAR':>6}   "
        f"{'fused acc':>9} {'UAR':>6} | {'acc':>6} {'UAR':>6}",
    ]

    def cells(s: dict[str, float]) -> str:
        return (
            f"{s['accuracy']:9.3f} {s['uar']:6.3f} | {s['accuracy_merged']:6.3f} "
            f"{s['uar_merged']:6.3f}"
        )

    for config, r in result["configs"].items():
        turns = f"{r['matched']}/{r['turns']}"
        lines.append(
            f"{config:16} {turns:>9} {r['speaker_normalised_share']:8.2f}  "
            f"{cells(r['voice'])}   {cells(r['fused'])}"
        )
    lines += ["", "voice on the turns that have an utterance to themselves (no merged turns):"]
    for config, r in result["configs"].items():
        alone = r["voice_alone"]
        share = f"{1 - r['shared_utterance_share']:.2f}"
        lines.append(f"{config:16} {alone['turns']:>9} {share:>8}  {cells(alone)}")
    ref = result["clip_reference"]
    lines += ["", f"same fold models on the held-out actors' whole clips ({ref['clips']} clips):"]
    lines.append(f"{'default head':16} {'':>9} {'':>8}  {cells(ref['default_head'])}")
    lines.append(f"{'speaker head':16} {'':>9} {'':>8}  {cells(ref['speaker_normalised_head'])}")
    lines += ["", "per fold, voice UAR (8 labels):"]
    configs = list(result["configs"])
    lines.append(f"{'fold':>4} " + " ".join(f"{c:>15}" for c in configs))
    folds = sorted({k for c in configs for k in result["configs"][c]["folds"]}, key=int)
    for k in folds:
        values = [result["configs"][c]["folds"].get(k, {}).get("voice", {}) for c in configs]
        lines.append(f"{k:>4} " + " ".join(f"{v.get('uar', float('nan')):15.3f}" for v in values))
    lines += ["", "diarization: speakers found / true per meeting:"]
    diarized = result["configs"].get(CONFIGS[1], {}).get("meetings", [])
    lines.append(
        "  "
        + ", ".join(
            f"{m['meeting'][-2:]}: {m['speakers_found']}/{m['true_speakers']}" for m in diarized
        )
    )
    return "\n".join(lines)


def provenance() -> dict[str, Any]:
    """The commit measured and any package files changed on top of it (results depend on both)."""

    def git(*args: str) -> str:
        command = ["git", "-C", str(Path(__file__).resolve().parent.parent), *args]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        return done.stdout.rstrip("\n")  # porcelain lines start with a meaningful space

    changed = git("status", "--porcelain", "--", "annotator").splitlines()
    return {"commit": git("rev-parse", "HEAD"), "changed": [line[3:] for line in changed if line]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument(
        "--work",
        type=Path,
        default=Path(os.environ.get("TMPDIR", "/tmp")) / "meeting_voice",
        help="fold models, meetings and transcripts go here",
    )
    parser.add_argument(
        "--features",
        type=Path,
        default=cache_dir() / "benchmarks" / "ravdess-speech-features.npz",
        help="FeatureSet cache (.npz) of the RAVDESS speech clips",
    )
    parser.add_argument("--meetings", type=int, default=12, help="meeting i uses fold i mod 6")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="CPU threads for every model")
    parser.add_argument("--no-oracle", action="store_true", help="skip the true-speakers run")
    parser.add_argument(
        "--no-text", action="store_true", help="without the text branch (fused = voice)"
    )
    parser.add_argument("--json", type=Path, help="write every number here")
    args = parser.parse_args()

    corpus = args.data / "ravdess-speech"
    features = load_or_extract_features(corpus, args.features, args.threads)
    print(f"features: {len(features.labels)} clips, {features.features.shape[1]} dims")
    models = fold_models(features, corpus, args.work / "models", args.seed, args.threads)
    truths = compose_meetings(args.data, args.work / "meetings", args.meetings, args.seed)
    by_fold: dict[int, list[tuple[Path, dict[str, Any]]]] = {}
    for path in truths:
        truth = json.loads(path.read_text())
        by_fold.setdefault(meeting_fold(truth), []).append((path, truth))
    transcripts = args.work / "transcripts"
    transcripts.mkdir(parents=True, exist_ok=True)
    runs: list[Run] = []
    settings = {
        "meetings": args.meetings,
        "seed": args.seed,
        "threads": args.threads,
        "text_branch": not args.no_text,
        "features": str(args.features),
        "work": str(args.work),
        "augmentations": list(DEFAULT_AUGMENTATIONS),
        **provenance(),
    }
    reference = clip_reference(features, models)
    for fold, meetings in sorted(by_fold.items()):
        runs += run_fold(
            fold,
            models[fold - 1],
            meetings,
            args.threads,
            not args.no_oracle,
            transcripts,
            text=not args.no_text,
        )
        result = report(runs, reference)
        result["settings"] = settings
        result["complete"] = fold == max(by_fold)
        if args.json:  # after every fold, so an interrupted run still leaves its numbers
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(result, indent=1) + "\n")
    print()
    print(format_report(result))


if __name__ == "__main__":
    main()
