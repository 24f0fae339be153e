"""Headless Chromium for the HTML report's tests: find it, start it offline, watch its requests.

Debian's `chromium` and `chromium-driver` (`.ci/install-browser` installs them). The driver is
given by path so that Selenium never tries to download one. Every network request the page
makes is recorded from Chrome's DevTools `Network` events; the network itself is cut off (no
name resolves, every connection goes to a proxy that does not exist), so a page that depended
on a CDN would both fail to render and be caught asking.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

# Flags that keep Chromium from phoning home: without them its own background connections are
# refused en masse here and slow every start.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",  # tests and CI run as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
    "--autoplay-policy=no-user-gesture-required",
    # No network at all: names never resolve, and IP literals go to a closed local port.
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
)
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:", "chrome:", "devtools:")


def find_chromium() -> tuple[str, str] | str:
    """(chromium, chromedriver) paths, or the reason they cannot be used."""
    chromium = next((p for p in map(shutil.which, ("chromium", "chromium-browser")) if p), None)
    driver = shutil.which("chromedriver") or (
        "/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None
    )
    if chromium is None or driver is None:
        missing = " and ".join(
            name for name, path in (("chromium", chromium), ("chromedriver", driver)) if not path
        )
        return f"{missing} not installed (run .ci/install-browser, needs apt-get as root)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install selenium)"
    return chromium, driver


class Browser:
    """One headless Chromium driven through WebDriver, with its network requests recorded."""

    def __init__(self, chromium: str, driver: str, width: int = 1280, height: int = 800):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        # Never let Selenium Manager look for a browser or driver online.
        os.environ.setdefault("SE_OFFLINE", "true")
        self.profile = tempfile.mkdtemp(prefix="annotator-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for flag in CHROMIUM_FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={self.profile}")
        options.add_argument(f"--window-size={width},{height}")
        options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
        self.driver = webdriver.Chrome(options=options, service=Service(executable_path=driver))
        self.driver.set_page_load_timeout(60)
        # The page's viewport, not the window's outer size (which includes the browser's frame).
        self.driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )

    def open(self, page: Path) -> None:
        """Load a local page; the request log starts afresh with it."""
        self.driver.get_log("performance")
        self.driver.get(Path(page).resolve().as_uri())

    def requests(self) -> list[str]:
        """URLs of every request the page made since `open` (DevTools Network events)."""
        urls = []
        for entry in self.driver.get_log("performance"):
            message: dict[str, Any] = json.loads(entry["message"])["message"]
            if message.get("method") == "Network.requestWillBeSent":
                urls.append(message["params"]["request"]["url"])
        return urls

    def remote_requests(self) -> list[str]:
        return [url for url in self.requests() if not url.startswith(LOCAL_SCHEMES)]

    def console_errors(self) -> list[str]:
        return [e["message"] for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]

    def js(self, script: str, *args: Any) -> Any:
        return self.driver.execute_script(script, *args)

    def close(self) -> None:
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)


def launch(width: int = 1280, height: int = 800) -> Browser:
    """A started Browser; skips the calling test (with the reason) when there is none."""
    import pytest

    found = find_chromium()
    if isinstance(found, str):
        pytest.skip(f"no headless browser: {found}")
    try:
        return Browser(*found, width=width, height=height)
    except Exception as error:  # a broken install: say so rather than fail every test
        pytest.skip(f"headless chromium would not start: {error.__class__.__name__}: {error}")
