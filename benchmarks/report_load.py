"""How fast a long meeting's HTML report renders, opens, scrolls and filters in Chromium.

    python benchmarks/report_load.py --utterances 2000 --repeat 3

Generates a two-hour transcript (the test suite's generator: four speakers, word timings, all
three branches), renders it with `render_report`, then in headless Chromium (Debian's
`chromium` + `chromedriver`, offline, as the tests run it) measures:

- render: Python seconds for `render_report`, and the page's size;
- load: DOMContentLoaded and load event, from the Navigation Timing entry (ms);
- first paint: first-contentful-paint (ms);
- scroll: the transcript scrolled top to bottom 400 px per animation frame; frame intervals
  (median, 95th percentile, worst) and how many frames took over 50 ms;
- filter: one speaker filter applied, until the next frame (ms).

Headless Chromium renders in software (no GPU), so these are upper bounds for a desktop browser.
The machine may be shared: compare runs made together.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from annotator.report import render_report  # noqa: E402
from benchmarks.browser import Browser, find_chromium  # noqa: E402
from benchmarks.synthetic_transcript import generated_transcript  # noqa: E402

SCROLL = """
var done = arguments[arguments.length - 1];
var list = document.getElementById('rows');
list.scrollTop = 0;
var times = [], last = null;
function frame(now) {
  if (last !== null) times.push(now - last);
  last = now;
  if (list.scrollTop + list.clientHeight >= list.scrollHeight - 1) { done(times); return; }
  list.scrollTop += 400;
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);
"""

FILTER = """
var done = arguments[arguments.length - 1];
var select = document.getElementById('speaker');
var start = performance.now();
select.value = 'SPEAKER_2';
select.dispatchEvent(new Event('change'));
requestAnimationFrame(function () {
  setTimeout(function () {
    var shown = Array.from(document.querySelectorAll('#rows li.utt')).filter(r => !r.hidden);
    done([performance.now() - start, shown.length]);
  }, 0);
});
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--utterances", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    found = find_chromium()
    if isinstance(found, str):
        sys.exit(f"report_load: {found}")

    with tempfile.TemporaryDirectory(prefix="report-load-") as work:
        page = Path(work) / "long.html"
        transcript = generated_transcript(args.utterances, Path(work) / "long.wav")
        started = time.perf_counter()
        html = render_report(transcript, page)
        render_s = time.perf_counter() - started
        page.write_text(html, encoding="utf-8")
        print(
            f"{args.utterances} utterances: render {render_s:.2f} s, "
            f"{len(html.encode()) / 1e6:.1f} MB of HTML"
        )

        browser = Browser(*found)
        browser.driver.set_script_timeout(120)
        try:
            for run in range(1, args.repeat + 1):
                browser.open(page)
                nav = browser.js(
                    "var n = performance.getEntriesByType('navigation')[0];"
                    "var p = performance.getEntriesByName('first-contentful-paint')[0];"
                    "return [n.domContentLoadedEventEnd, n.loadEventEnd, p ? p.startTime : null,"
                    " document.querySelectorAll('#rows li.utt').length]"
                )
                frames = browser.driver.execute_async_script(SCROLL)
                filter_ms, shown = browser.driver.execute_async_script(FILTER)
                frames.sort()
                p95 = frames[int(0.95 * (len(frames) - 1))]
                slow = sum(f > 50 for f in frames)
                fcp = f"{nav[2]:.0f}" if nav[2] is not None else "n/a"
                print(
                    f"run {run}: rows {nav[3]}, DOMContentLoaded {nav[0]:.0f} ms, load "
                    f"{nav[1]:.0f} ms, first paint {fcp} ms; scroll {len(frames)} frames, "
                    f"median {statistics.median(frames):.1f} ms, p95 {p95:.1f} ms, "
                    f"worst {frames[-1]:.1f} ms, {slow} over 50 ms; "
                    f"speaker filter {filter_ms:.0f} ms ({shown} rows shown)"
                )
        finally:
            browser.close()


if __name__ == "__main__":
    main()
