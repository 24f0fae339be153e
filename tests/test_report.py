"""The HTML report, rendered and checked in headless Chromium through its DOM.

One browser serves the whole module. The pages are built from a transcript made here (three
speakers, all three branches, hostile and non-Latin text, an utterance without emotion), from a
generated 2,000-utterance transcript, and (slow) from the real pipeline on the sample meeting.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from helpers import ffmpeg, wait_until

from annotator import report
from annotator.export import JsonWriter
from annotator.report import HtmlWriter, render_report, write_report
from annotator.transcript import (
    FaceFrames,
    Source,
    Speaker,
    Transcript,
    Utterance,
)
from benchmarks.browser import launch
from benchmarks.synthetic_transcript import emotion, generated_transcript, words_for

SCRIPT_TEXT = "<script>window.__injected = 1</script> and </p><b>not bold</b>"
QUOTES_TEXT = 'She said "it\'s fine" & \'done\' <tag attr="x">'
ARABIC_TEXT = "مرحبا بالجميع، لنبدأ الاجتماع الآن"
CHINESE_TEXT = "我们现在开始开会，好吗？"
HOSTILE_NAME = '"><img src=x onerror="window.__injected=2">'


def built_transcript(media: Path) -> Transcript:
    """Twelve utterances over 12 s: three speakers, every branch, hostile and non-Latin text."""
    rows = [
        # (speaker, text, fused, confidence, voice, face, text branch)
        (
            "SPEAKER_1",
            "Good morning everyone, shall we start?",
            "happy",
            0.71,
            "happy",
            "happy",
            "happy",
        ),
        ("SPEAKER_2", SCRIPT_TEXT, "angry", 0.66, "angry", "disgust", "angry"),
        ("SPEAKER_3", QUOTES_TEXT, "neutral", 0.52, "neutral", "neutral", "neutral"),
        ("SPEAKER_1", ARABIC_TEXT, "sad", 0.61, "sad", "neutral", "sad"),
        ("SPEAKER_2", CHINESE_TEXT, "surprised", 0.58, "surprised", "happy", None),
        (
            "SPEAKER_3",
            "I am not sure about this at all.",
            "fearful",
            0.22,
            "fearful",
            "sad",
            "neutral",
        ),
        ("SPEAKER_1", "No emotion could be judged here.", None, 0.0, "", None, None),
        ("SPEAKER_2", "That sounds calm and reasonable.", "calm", 0.64, "calm", None, "calm"),
        (
            "SPEAKER_3",
            "Disgusting numbers this quarter.",
            "disgust",
            0.57,
            "disgust",
            "disgust",
            "sad",
        ),
        ("SPEAKER_1", "Okay, let us move on.", "neutral", 0.35, "neutral", "happy", "neutral"),
        ("SPEAKER_2", "Great result, well done team!", "happy", 0.81, "happy", "happy", "happy"),
        ("SPEAKER_3", "Thanks, see you next week.", "happy", 0.45, "calm", "happy", "happy"),
    ]
    utterances = []
    for i, (speaker, text, fused, confidence, voice, face, text_branch) in enumerate(rows):
        start, end = float(i), i + 0.8
        utterances.append(
            Utterance(
                id=i,
                start=start,
                end=end,
                text=text,
                # Half the rows carry word timings (clickable words), half only text.
                words=words_for(text, start, end) if i % 2 == 0 else [],
                face_frames=FaceFrames(sampled=8, with_face=8 if face else 0),
                speaker=speaker,
                emotion=emotion(fused, confidence, voice, face, text_branch) if fused else None,
                sentiment=(
                    {
                        "label": "neutral",
                        "score": 0.1,
                        "valence": 0.1 * (i % 5) - 0.2,
                        "arousal": 0.5 - 0.1 * (i % 4),
                    }
                    if fused
                    else None
                ),
            )
        )
    speakers = [
        Speaker("SPEAKER_1", "Alice", 3.2, 4, {"happy": 0.25, "sad": 0.25, "neutral": 0.5}),
        Speaker("SPEAKER_2", HOSTILE_NAME, 3.2, 4, {}),
        Speaker("SPEAKER_3", None, 3.2, 4, {}),
    ]
    return Transcript(
        source=Source(
            path=str(media), duration=12.0, audio=True, video=True, width=160, height=120, fps=10.0
        ),
        models={
            "asr": "faster-whisper/tiny.en",
            "audio_emotion": "<voice> & model",
            "face_emotion": "face-cnn",
            "text_emotion": "text-model",
            "fusion": "late",
        },
        utterances=utterances,
        language="en",
        summary={"speaking_time": 9.6, "emotion_share": {"happy": 0.4, "neutral": 0.3}},
        speakers=speakers,
    )


# Without a browser: the HTML itself.


def test_media_is_linked_relative_to_the_report_and_url_quoted(tmp_path):
    media = tmp_path / "calls" / "week 3" / "réunion #1.mp4"
    assert report.media_src(media, tmp_path / "reports" / "r.html") == (
        "../calls/week%203/r%C3%A9union%20%231.mp4"
    )
    assert report.media_src(media, media.parent / "r.html") == "r%C3%A9union%20%231.mp4"


def test_embedded_media_has_its_mime_type(tmp_path):
    for name, video, expected in [
        ("a.flac", False, "audio/flac"),
        ("a.wav", False, "audio/wav"),
        ("a.m4a", False, "audio/mp4"),
        ("a.webm", True, "video/webm"),
        ("a.unknown", True, "video/mp4"),
    ]:
        path = tmp_path / name
        path.write_bytes(b"\x00\x01\x02")
        src = report.media_src(path, tmp_path / "r.html", embed=True, video=video)
        assert src == f"data:{expected};base64,AAEC"


def test_every_transcript_string_is_escaped(tmp_path):
    html = render_report(built_transcript(tmp_path / "m.mp4"), tmp_path / "r.html")
    for raw in (SCRIPT_TEXT, QUOTES_TEXT, HOSTILE_NAME, "<voice> & model", "<script>window"):
        assert raw not in html
    assert "&lt;script&gt;window.__injected = 1&lt;/script&gt;" in html
    assert ARABIC_TEXT in html and CHINESE_TEXT in html
    # Nothing on the page points at the network (the SVG namespace is never written out).
    assert "http://" not in html and "https://" not in html and "//cdn" not in html


def test_html_writer_is_an_output_format(tmp_path, monkeypatch):
    from annotator.export import Writer

    transcript = built_transcript(tmp_path / "media" / "m.mp4")
    assert issubclass(HtmlWriter, Writer) and HtmlWriter.extension == "html"
    HtmlWriter().write(transcript, tmp_path / "out.html")
    assert 'src="media/m.mp4"' in (tmp_path / "out.html").read_text(encoding="utf-8")
    monkeypatch.chdir(tmp_path / "..")
    assert f'src="{tmp_path.name}/media/m.mp4"' in HtmlWriter().render(transcript)


def test_overlapping_speech_is_marked_and_speech_without_words_shown(tmp_path):
    utterances = [
        Utterance(0, 0.0, 2.0, "first", speaker="SPEAKER_1", overlap=True),
        Utterance(1, 1.0, 3.0, "", speaker="SPEAKER_2", overlap=True),
        Utterance(2, 3.5, 4.0, "alone", speaker="SPEAKER_1"),
    ]
    transcript = Transcript(Source("m.wav", 4.0, True, False), {}, utterances)
    html = render_report(transcript, tmp_path / "r.html")
    rows = re.findall(r'<li class="utt[^>]*>.*?</li>', html, flags=re.S)
    assert ["data-overlap" in row for row in rows] == [True, True, False]
    assert [row.count('class="overlap"') for row in rows] == [1, 1, 0]
    assert 'class="nowords" title="speech heard, no words recognised">…<' in rows[1]
    assert "nowords" not in rows[0] + rows[2]
    assert "0:01 · SPEAKER_2 · no emotion · overlap: …" in html


def test_a_json_transcript_finds_its_recording_beside_it(tmp_path, monkeypatch):
    """A relative source path that does not exist from here is looked up next to the JSON."""
    folder = tmp_path / "meeting"
    folder.mkdir()
    (folder / "call.wav").write_bytes(b"RIFF")
    transcript = Transcript(
        source=Source(path="recordings/call.wav", duration=2.0, audio=True, video=False),
        models={},
        utterances=[Utterance(0, 0.0, 1.0, "hi")],
    )
    JsonWriter().write(transcript, folder / "call.json")
    monkeypatch.chdir(tmp_path)
    output = write_report(folder / "call.json", tmp_path / "reports" / "call.html")
    html = output.read_text(encoding="utf-8")
    assert 'src="../meeting/call.wav"' in html
    assert 'id="media-missing" class="warning" hidden' in html


# In the browser.


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """A folder with a small real recording (an awkward name: space, accent, '#') and reports
    of it in a sibling folder, so the relative link has to climb out and back in."""
    root = tmp_path_factory.mktemp("report")
    media = root / "media dir" / "réunion #1.mp4"
    media.parent.mkdir()
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=160x120:rate=10",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=16000",
        "-t",
        "12",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-shortest",
        str(media),
    )
    (root / "out").mkdir()
    transcript = built_transcript(media)
    HtmlWriter().write(transcript, root / "out" / "built.html")
    return root


@pytest.fixture(scope="module")
def browser():
    chromium = launch()
    yield chromium
    chromium.close()


@pytest.fixture(scope="module")
def built(site, browser):
    """The built transcript's report, opened and with its media loaded."""
    browser.open(site / "out" / "built.html")
    _wait_metadata(browser)
    return browser


def _wait_metadata(browser, timeout: float = 15) -> None:
    """Until the player knows its recording (or has given up on it)."""
    deadline = time.monotonic() + timeout
    state = "var p = document.getElementById('player'); return p.readyState > 0 || !!p.error"
    while time.monotonic() < deadline and not browser.js(state):
        time.sleep(0.05)


def test_rows_speakers_and_labels_match_the_transcript(built, site):
    transcript = built_transcript(site / "media dir" / "réunion #1.mp4")
    rows = built.js(
        "return Array.from(document.querySelectorAll('#rows li.utt')).map(r => ["
        "r.dataset.speaker, r.dataset.emotion, "
        "(r.querySelector('.head .chip') || {}).textContent || null])"
    )
    assert len(rows) == len(transcript.utterances)
    for (speaker, label, chip), u in zip(rows, transcript.utterances, strict=True):
        assert speaker == u.speaker
        if u.emotion is None:
            assert label == "" and chip is None
        else:
            assert label == u.emotion.label
            assert chip.split() == [u.emotion.label, f"{u.emotion.confidence:.2f}"]
    lanes = built.js(
        "return Array.from(document.querySelectorAll('.lane-name')).map(e => e.textContent)"
    )
    assert lanes[:3] == ["Alice", HOSTILE_NAME, "SPEAKER_3"]
    blocks = built.js("return document.querySelectorAll('.track rect[data-i]').length")
    assert blocks == len(transcript.utterances)
    # The summary's per-speaker chart, and every model named.
    assert built.js("return document.querySelectorAll('.speakers tr').length") == 3
    models = built.js("return document.querySelector('.models').textContent")
    assert "<voice> & model" in models and "text-model" in models


def test_hostile_and_non_latin_text_renders_as_text(built):
    texts = built.js(
        "return Array.from(document.querySelectorAll('#rows .text')).map(e => e.textContent)"
    )
    assert texts[1] == SCRIPT_TEXT  # no words: the text itself
    assert texts[2] == QUOTES_TEXT  # from its words, one span each
    assert texts[3] == ARABIC_TEXT
    assert texts[4] == CHINESE_TEXT
    assert built.js("return window.__injected === undefined")
    assert (
        built.js("return document.querySelectorAll('#rows script, #rows .text b, img').length") == 0
    )
    speaker = built.js("return document.querySelectorAll('#rows .speaker')[1].textContent")
    assert speaker == HOSTILE_NAME
    # Right-to-left text is laid out right to left.
    assert (
        built.js("return getComputedStyle(document.querySelectorAll('#rows .text')[3]).direction")
        == "rtl"
    )


def test_the_player_finds_the_recording_by_a_relative_url(built, site):
    media = site / "media dir" / "réunion #1.mp4"
    expected = quote(os.path.relpath(media, site / "out"))
    assert expected == "../media%20dir/r%C3%A9union%20%231.mp4"
    assert built.js("return document.getElementById('player').getAttribute('src')") == expected
    state = built.js(
        "var p = document.getElementById('player');"
        "return [p.tagName, p.readyState, p.duration, p.error && p.error.code]"
    )
    assert state[0] == "VIDEO" and state[1] >= 1 and state[3] is None
    assert state[2] == pytest.approx(12.0, abs=0.2)
    assert built.js("return document.getElementById('media-missing').hidden")


def test_clicking_an_utterance_a_word_or_a_block_seeks_the_player(built):
    def player_time() -> float:
        return built.js("return document.getElementById('player').currentTime")

    built.driver.find_elements("css selector", "#rows li.utt")[5].click()
    assert player_time() == pytest.approx(5.0, abs=0.05)
    built.js("document.getElementById('player').pause()")
    current = built.js(
        "return Array.from(document.querySelectorAll('#rows li.current')).map(r => r.dataset.i)"
    )
    assert current == ["5"]
    word = built.driver.find_elements("css selector", "#rows li.utt")[8].find_elements(
        "css selector", "[data-t]"
    )[2]
    word.click()
    built.js("document.getElementById('player').pause()")
    assert player_time() == pytest.approx(float(word.get_attribute("data-t")), abs=0.05)
    assert player_time() > 8.0
    assert built.js("return document.querySelector('#rows .text .now') === arguments[0]", word)
    built.driver.find_element("css selector", '.track rect[data-i="10"]').click()
    built.js("document.getElementById('player').pause()")
    assert player_time() == pytest.approx(10.0, abs=0.05)
    assert built.js("return document.querySelector('.track rect.current').dataset.i") == "10"


def test_playing_highlights_the_utterance_being_played(built):
    """Played from inside utterance 2, the highlight moves on to utterance 3 by itself."""
    current = "return (document.querySelector('#rows li.current') || {dataset: {}}).dataset.i"
    built.js("var p = document.getElementById('player'); p.currentTime = 2.5;")
    seen = []
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline:
        seen.append(built.js(current))
        if seen[-1] == "2":
            break
        time.sleep(0.05)
    built.js("document.getElementById('player').play()")
    while time.monotonic() < deadline and seen[-1] != "3":
        time.sleep(0.05)
        seen.append(built.js(current))
    built.js("document.getElementById('player').pause()")
    assert seen[-1] == "3" and "2" in seen
    assert built.js("return document.querySelector('.track rect.current').dataset.i") == "3"


def test_branch_verdicts_are_visible_and_low_confidence_is_muted(built):
    # Each row lists each branch with its own label; expanding it shows the fusion's weights.
    branches = built.js(
        "return Array.from(document.querySelectorAll('#rows li.utt')[1]"
        ".querySelectorAll('summary .branch')).map(e => e.textContent)"
    )
    assert branches == ["voice angry 0.70", "face disgust 0.60", "text angry 0.55"]
    before = built.js("return document.getElementById('player').currentTime")
    built.driver.find_elements("css selector", "#rows li.utt details summary")[1].click()
    assert built.js("return document.getElementById('player').currentTime") == before
    assert built.js(
        "return document.querySelectorAll('#rows li.utt')[1].querySelector('details').open"
    )
    more = built.driver.find_elements("css selector", "#rows li.utt .more")[1]
    assert more.is_displayed()
    assert "weights voice 0.40, face 0.35, text 0.25" in more.text
    assert "8 face frames" in more.text
    assert "face: disgust" in built.js(
        "return document.querySelectorAll('#rows li.utt')[1].querySelector('.head .chip').title"
    )
    disagree = built.js(
        "return Array.from(document.querySelectorAll('#rows li.utt'))"
        ".map(r => 'disagree' in r.dataset)"
    )
    assert disagree[0] is False and disagree[1] is True
    # 0.22 and 0.35 are muted, 0.71 is not, and they look different.
    styles = built.js(
        "return [0, 5, 9].map(i => { var c = document.querySelectorAll('#rows li.utt')[i]"
        ".querySelector('.head .chip'); var s = getComputedStyle(c);"
        "return [c.classList.contains('low'), s.backgroundColor, s.borderStyle]; })"
    )
    assert [s[0] for s in styles] == [False, True, True]
    assert styles[0][1] != styles[1][1] and styles[1][2] == "dashed"


def test_filters_by_speaker_emotion_and_text(built):
    def visible() -> list[str]:
        return built.js(
            "return Array.from(document.querySelectorAll('#rows li.utt'))"
            ".filter(r => !r.hidden).map(r => r.dataset.i)"
        )

    built.js(
        "var s = document.getElementById('speaker'); s.value = 'SPEAKER_3';"
        "s.dispatchEvent(new Event('change'))"
    )
    assert visible() == ["2", "5", "8", "11"]
    built.js(
        "var s = document.getElementById('emotion'); s.value = 'happy';"
        "s.dispatchEvent(new Event('change'))"
    )
    assert visible() == ["11"]
    built.js("document.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape'}))")
    assert len(visible()) == 12
    query = built.driver.find_element("css selector", "#q")
    query.send_keys(CHINESE_TEXT[:4])
    # The search filters as the keys arrive: wait for it to settle on the one match.
    assert wait_until(lambda: visible() == ["4"]), visible()
    assert "1 of 12" in built.js("return document.getElementById('count').textContent")
    built.js("document.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape'}))")
    built.js(
        "var c = document.getElementById('confident'); c.checked = true;"
        "c.dispatchEvent(new Event('change'))"
    )
    assert "5" not in visible() and "6" not in visible() and "0" in visible()
    built.js("document.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape'}))")
    assert len(visible()) == 12


def test_keyboard_moves_between_utterances_and_plays_from_one(built):
    from selenium.webdriver.common.keys import Keys

    rows = built.driver.find_elements("css selector", "#rows li.utt")
    built.js("arguments[0].focus()", rows[0])
    body = built.driver.switch_to.active_element
    body.send_keys(Keys.ARROW_DOWN)
    built.driver.switch_to.active_element.send_keys("j")
    assert built.js("return document.activeElement.dataset.i") == "2"
    assert built.js(
        "return Array.from(document.querySelectorAll('#rows li.utt'))"
        ".filter(r => r.tabIndex === 0).map(r => r.dataset.i)"
    ) == ["2"]
    # Tab stops: one row and the controls, never the thousands of summaries.
    assert built.js(
        "return Array.from(document.querySelectorAll('#rows summary'))"
        ".every(e => e.tabIndex === -1)"
    )
    built.driver.switch_to.active_element.send_keys(Keys.ARROW_RIGHT)
    assert built.js("return document.activeElement.querySelector('details').open")
    built.driver.switch_to.active_element.send_keys(Keys.ARROW_LEFT)
    assert not built.js("return document.activeElement.querySelector('details').open")
    built.driver.switch_to.active_element.send_keys(Keys.ENTER)
    built.js("document.getElementById('player').pause()")
    assert built.js("return document.getElementById('player').currentTime") == pytest.approx(
        2.0, abs=0.05
    )


def test_no_request_leaves_the_page(site, browser):
    browser.open(site / "out" / "built.html")
    _wait_metadata(browser)
    requests = browser.requests()
    assert browser.remote_requests() == []
    # It did render, and the one thing it fetched was the recording, from disk.
    assert browser.js("return document.querySelectorAll('#rows li.utt').length") == 12
    assert any(url.startswith("file:") and url.endswith(".mp4") for url in requests)
    assert browser.console_errors() == []


def test_the_request_check_catches_a_page_that_reaches_out(tmp_path, browser):
    page = tmp_path / "cdn.html"
    page.write_text(
        '<link rel="stylesheet" href="https://cdn.example.com/x.css">'
        '<img src="http://203.0.113.7/pixel.png"><p>hello</p>'
    )
    browser.open(page)
    remote = browser.remote_requests()
    assert "https://cdn.example.com/x.css" in remote
    assert "http://203.0.113.7/pixel.png" in remote


def test_screenshot_is_not_blank(site, browser):
    import cv2
    import numpy as np

    browser.open(site / "out" / "built.html")
    _wait_metadata(browser)
    png = browser.driver.get_screenshot_as_png()
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    assert image.shape[:2] == (800, 1280)
    assert image.std() > 20
    colours = np.unique(image.reshape(-1, 3)[::7], axis=0)
    assert len(colours) > 50
    # The emotion colours are on screen: Okabe-Ito's vermillion (angry) at least.
    vermillion = np.array([0x00, 0x5E, 0xD5])  # BGR
    assert (np.abs(image.astype(int) - vermillion).sum(axis=2) < 12).sum() > 50


def test_embedded_media_plays_without_the_file(site, browser, tmp_path, monkeypatch):
    transcript = built_transcript(site / "media dir" / "réunion #1.mp4")
    page = tmp_path / "embedded.html"
    page.write_text(render_report(transcript, page, embed_media=True), encoding="utf-8")
    browser.open(page)
    _wait_metadata(browser)
    src = browser.js("return document.getElementById('player').getAttribute('src')")
    assert src.startswith("data:video/mp4;base64,")
    assert browser.js("return document.getElementById('player').readyState") >= 1
    assert browser.remote_requests() == []
    monkeypatch.setattr(report, "EMBED_LIMIT", 1000)
    with pytest.raises(ValueError, match="over the"):
        render_report(transcript, page, embed_media=True)
    with pytest.raises(ValueError, match="no such file"):
        render_report(transcript, page, embed_media=True, media=tmp_path / "absent.mp4")


def test_a_bare_transcript_renders_one_lane_and_no_labels(tmp_path, browser):
    """No speakers, no emotion, no sentiment, a missing recording: still a usable page."""
    transcript = Transcript(
        source=Source(path=str(tmp_path / "gone.wav"), duration=5.0, audio=True, video=False),
        models={},
        utterances=[Utterance(0, 0.0, 2.0, "hello there"), Utterance(1, 2.5, 4.0, "bye")],
    )
    page = tmp_path / "bare.html"
    HtmlWriter().write(transcript, page)
    browser.open(page)
    assert browser.js("return document.getElementById('player').tagName") == "AUDIO"
    assert browser.js(
        "return Array.from(document.querySelectorAll('.lane-name'))"
        ".map(e => e.textContent).filter(Boolean)"
    ) == ["all"]
    assert browser.js("return document.querySelectorAll('#rows li.utt').length") == 2
    assert (
        browser.js(
            "return document.querySelectorAll('.chip:not(.note .chip), #emotion,"
            " #speaker, .affect').length"
        )
        == 0
    )
    assert not browser.js("return document.getElementById('media-missing').hidden")
    assert browser.remote_requests() == []


def test_report_from_a_json_transcript(site, tmp_path, browser):
    transcript = built_transcript(site / "media dir" / "réunion #1.mp4")
    saved = tmp_path / "t.json"
    JsonWriter().write(transcript, saved)
    output = write_report(saved, tmp_path / "from-json.html")
    browser.open(output)
    count = browser.js("return document.querySelectorAll('#rows li.utt').length")
    assert count == len(json.loads(saved.read_text())["utterances"])


def test_a_two_hour_meeting_with_2000_utterances_renders(tmp_path, browser):
    page = tmp_path / "long.html"
    page.write_text(
        render_report(generated_transcript(2000, tmp_path / "long.wav"), page), encoding="utf-8"
    )
    browser.open(page)
    assert browser.js("return document.querySelectorAll('#rows li.utt').length") == 2000
    assert browser.js("return document.querySelectorAll('.track rect[data-i]').length") == 2000
    # The last utterance is reachable: seeking near the end highlights it.
    browser.js("document.getElementById('rows').lastElementChild.click()")
    assert (
        browser.js("var r = document.querySelector('#rows li.current');return r && r.dataset.i")
        == "1999"
    )


@pytest.mark.slow
def test_report_of_the_sample_meeting_from_the_real_pipeline(samples, annotator, tmp_path, browser):
    transcript = annotator.annotate(samples / "meeting.mp4").transcript
    page = tmp_path / "meeting.html"
    HtmlWriter().write(transcript, page)
    browser.open(page)
    _wait_metadata(browser)
    assert browser.js("return document.querySelectorAll('#rows li.utt').length") == len(
        transcript.utterances
    )
    assert browser.js("return document.getElementById('player').readyState") >= 1
    labels = browser.js(
        "return Array.from(document.querySelectorAll('#rows li.utt')).map(r => r.dataset.emotion)"
    )
    assert labels == [u.emotion.label if u.emotion else "" for u in transcript.utterances]
    assert browser.remote_requests() == []
