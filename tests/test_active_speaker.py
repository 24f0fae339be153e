"""The speaker's face, not the biggest face: face tracks and active-speaker choice on real clips.

Tiny videos are built with ffmpeg from the shared GRID clips: two talking faces side by side
(both mouths moving) with only one of them audible, or with a third person's voice.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import SHARED, ffmpeg

from annotator import media
from annotator.face_speakers import speaker_track
from annotator.face_tracks import FaceTracker
from annotator.faces import Detection, FaceDetector, scan_faces
from annotator.options import Options

GRID = SHARED / "media" / "grid"
pytestmark = pytest.mark.skipif(not GRID.is_dir(), reason="needs ../shared/media/grid")

BIG, SMALL, VOICE = "lbbc2a.mpg", "lrwp9a.mpg", "sbwe5n.mpg"


@pytest.fixture(scope="module")
def detector() -> FaceDetector:
    return FaceDetector(detect_width=Options().detect_width)


def two_faces(folder: Path, audio_from: str, name: str) -> Path:
    """640x360, 3 s: BIG's face large on the left, SMALL's face small on the right, both
    talking; the sound is `audio_from`'s own track (one of the two, or someone else)."""
    path = folder / f"{name}.mp4"
    sources = [GRID / BIG, GRID / SMALL, GRID / audio_from]
    graph = (
        "[0:v]scale=320:256,pad=320:360:0:52[l];"
        "[1:v]scale=150:120,pad=320:360:85:120[r];"
        "[l][r]hstack=inputs=2,format=yuv420p[v]"
    )
    inputs = [arg for source in sources for arg in ("-i", str(source))]
    ffmpeg(*inputs, "-filter_complex", graph, "-map", "[v]", "-map", "2:a", "-t", "2.9",
           "-r", "25", "-c:v", "libx264", "-preset", "veryfast", "-ac", "1", str(path))  # fmt: skip
    return path


def speech_span(path: Path) -> tuple[float, float]:
    """Where the clip's voice is: the 40 ms frames within 25 dB of its loudest."""
    samples = np.asarray(media.decode_audio(media.probe(path)).samples)
    frames = samples[: len(samples) // 640 * 640].reshape(-1, 640)
    db = 10 * np.log10((frames.astype(np.float64) ** 2).mean(axis=1) + 1e-10)
    loud = np.flatnonzero(db > db.max() - 25)
    return loud[0] * 0.04, (loud[-1] + 1) * 0.04


def scan(path: Path, detector: FaceDetector, with_audio: bool = True):
    info = media.probe(path)
    audio = media.decode_audio(info).samples if with_audio else None
    options = Options()
    span = speech_span(path)
    result = scan_faces(info, [span], detector, options.face_fps, options.frame_width, audio=audio)
    return result, result.utterances[0]


def test_the_smaller_talking_face_is_chosen_when_it_is_the_voice(tmp_path, detector):
    path = two_faces(tmp_path, SMALL, "small_speaks")
    result, found = scan(path, detector)
    assert len(result.boxes) == 2, "both faces tracked, each once"
    assert found.track is not None and found.faces, found.scores
    x, y, w, h = found.box
    assert x + w / 2 > 320, f"chose the face at {found.box}, not the small one on the right"
    assert max(s.size for s in found.faces) < 100  # the small face's frames, not the big one's
    # Without the audio the old rule holds: the biggest face.
    _, biggest = scan(path, detector, with_audio=False)
    assert biggest.box[0] + biggest.box[2] / 2 < 320


def test_no_face_when_the_voice_belongs_to_someone_off_screen(tmp_path, detector):
    path = two_faces(tmp_path, VOICE, "off_screen")
    result, found = scan(path, detector)
    assert len(result.boxes) == 2
    assert found.scores and len(found.scores) == 2  # both faces were scored...
    assert found.track is None and found.box is None  # ...and neither speaks
    assert found.faces == [] and found.sampled > 0  # so the face branch has nothing to read


def test_one_face_video_keeps_the_largest_face_rule(tmp_path, detector):
    path = tmp_path / "one.mp4"
    ffmpeg(
        "-i", str(GRID / SMALL), "-t", "2.9", "-c:v", "libx264", "-preset", "veryfast", str(path)
    )
    _, with_audio = scan(path, detector)
    _, without = scan(path, detector, with_audio=False)
    assert with_audio.track == without.track == 0
    assert with_audio.scores is None  # one face: nothing to choose between
    assert [s.time for s in with_audio.faces] == [s.time for s in without.faces]
    assert with_audio.with_face == with_audio.sampled > 0
    np.testing.assert_array_equal(with_audio.faces[0].aligned, without.faces[0].aligned)


def test_tracks_keep_their_ids_and_split_different_places():
    tracker = FaceTracker()
    left, right = Detection(10, 10, 50, 60, 0.9), Detection(300, 12, 40, 50, 0.9)
    assert tracker.update(0.0, [left, right]) == [0, 1]
    moved = Detection(14, 12, 52, 60, 0.9)
    assert tracker.update(0.5, [right, moved]) == [1, 0]  # order of detections does not matter
    assert tracker.update(1.0, [Detection(150, 150, 50, 60, 0.9)]) == [2]  # somewhere new
    assert tracker.update(1.5, [Detection(10, 10, 120, 140, 0.9)]) == [3]  # far bigger: new


def test_speaker_track_is_the_most_chosen_one():
    assert speaker_track([2, 2, None, 1]) == 2
    assert speaker_track([None, None]) is None
    assert speaker_track([1, 2]) is None  # a tie: no clear face


def test_speaker_faces_reach_the_transcript_and_the_report(tmp_path):
    from annotator.face_speakers import attach_speaker_faces, mark_face_tracks
    from annotator.faces import UtteranceFaces
    from annotator.report import render_report
    from annotator.transcript import (
        Emotion,
        EmotionResult,
        Source,
        Speaker,
        Transcript,
        Utterance,
    )

    def emotion() -> Emotion:
        face = EmotionResult.from_scores([1.0] + [0.0] * 7)
        return Emotion(face.label, face.confidence, face.scores, face=face)

    utterances = [
        Utterance(i, i * 2.0, i * 2.0 + 1.5, "hello", speaker="SPEAKER_1", emotion=emotion())
        for i in range(3)
    ]
    faces = [
        UtteranceFaces(sampled=3, track=4, box=(10, 20, 30, 40)),
        UtteranceFaces(sampled=3),  # no face clearly spoke
        UtteranceFaces(sampled=3, track=4, box=(12, 20, 30, 40)),
    ]
    mark_face_tracks(utterances, faces)
    assert utterances[0].emotion.face.track == 4 and utterances[0].emotion.face.box == [
        10,
        20,
        30,
        40,
    ]
    assert utterances[1].emotion.face.track is None
    speakers = [Speaker("SPEAKER_1", utterances=3)]
    crop = np.full((128, 128, 3), 90, np.uint8)
    attach_speaker_faces(speakers, utterances, faces, {4: crop})
    assert speakers[0].face_track == 4
    assert speakers[0].face_thumbnail.startswith("data:image/jpeg;base64,")
    transcript = Transcript(Source("m.mp4", 6.0, True, True), {}, utterances, speakers=speakers)
    again = Transcript.from_dict(transcript.to_dict())  # the JSON keeps it all
    assert again.speakers[0].face_track == 4
    assert again.utterances[2].emotion.face.box == [12, 20, 30, 40]
    html = render_report(again, tmp_path / "r.html")
    assert f'<img class="face" src="{speakers[0].face_thumbnail}"' in html
