"""report.html in a real headless Chromium: loads offline, no console errors, plots visible.

Needs Debian's ``chromium`` and ``chromium-driver`` (``/usr/bin/chromium``,
``/usr/bin/chromedriver``) and ``selenium``; skips with the reason when any is missing.
Set ``TRUENEG_SCREENSHOT_DIR`` to keep the screenshots for a look by eye.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from trueneg.audit.html import write_html_report

CHROMIUM = os.environ.get("TRUENEG_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("TRUENEG_CHROMEDRIVER", "/usr/bin/chromedriver")
# Without the background-networking flags Chromium reaches for the network at start.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,1000",
    "--hide-scrollbars",
)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    webdriver = pytest.importorskip("selenium.webdriver", reason="needs `pip install selenium`")
    for binary in (CHROMIUM, CHROMEDRIVER):
        if not Path(binary).exists():
            pytest.skip(f"{binary} not found: `apt-get install chromium chromium-driver`")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def _open(driver, path: Path) -> list[dict]:
    driver.set_window_size(1280, 1000)
    driver.get(path.resolve().as_uri())
    driver.execute_script("return document.readyState")  # wait for the load to finish
    return driver.get_log("browser")


def _check_page(driver, path: Path, images: int) -> bytes:
    logs = _open(driver, path)
    assert [entry for entry in logs if entry["level"] == "SEVERE"] == []
    state = driver.execute_script(
        "return Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.width]);"
    )
    assert len(state) == images
    assert all(complete and natural > 0 and width > 0 for complete, natural, width in state)
    urls = driver.execute_script(
        "return Array.from(document.querySelectorAll('[src],[href]'))"
        ".map(e => e.getAttribute('src') || e.getAttribute('href'));"
    )
    assert not [u for u in urls if not u.startswith("data:")]
    resources = driver.execute_script(
        "return performance.getEntriesByType('resource').map(r => r.name);"
    )
    assert not [r for r in resources if r.startswith(("http:", "https:"))]
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, min(height + 200, 12000))  # the whole page in one screenshot
    return driver.get_screenshot_as_png()


def _ink(png: bytes) -> tuple[float, int]:
    """Share of non-white pixels and number of distinct colours."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    small = image.resize((image.width // 4, image.height // 4))
    pixels = list(small.tobytes())
    triples = list(zip(pixels[0::3], pixels[1::3], pixels[2::3], strict=True))
    ink = sum(1 for r, g, b in triples if min(r, g, b) < 230) / len(triples)
    return ink, len(set(triples))


def _keep(png: bytes, name: str) -> None:
    folder = os.environ.get("TRUENEG_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / name).write_bytes(png)


def test_full_report_renders_with_plots(browser, report_full, report_run, tmp_path):
    path = write_html_report(report_full, report_run, tmp_path / "report.html")
    png = _check_page(browser, path, images=3)
    _keep(png, "report_full.png")
    ink, colours = _ink(png)
    assert ink > 0.05 and colours > 50  # plots drawn, not a blank or single-colour page
    # the escaped negative shows as text, it does not run
    assert '<script>alert("x")</script>' in browser.find_element("tag name", "body").text
    assert browser.execute_script("return document.querySelectorAll('script').length") == 0


def test_details_open_to_the_full_text(browser, report_full, report_run, tmp_path):
    path = write_html_report(report_full, report_run, tmp_path / "report.html")
    _open(browser, path)
    summary = browser.find_element("css selector", "details summary")
    summary.click()
    text = browser.find_element("css selector", "details").text
    assert text.count("Vitamin D and bone density in older adults.") == 20


def test_partial_report_renders(browser, report_partial, report_tiny_run, tmp_path):
    path = write_html_report(report_partial, report_tiny_run, tmp_path / "report.html")
    png = _check_page(browser, path, images=2)
    _keep(png, "report_partial.png")
    assert "not computed: no judge given" in browser.find_element("tag name", "body").text
