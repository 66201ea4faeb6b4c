"""Regenerate docs/img/audit-*.png: the audit's HTML report of the bundled demo sample.

    .venv/bin/python scripts/docs_screenshot.py            # mine (~2 min on CPU), audit, shoot
    .venv/bin/python scripts/docs_screenshot.py --run trueneg-demo   # audit an existing run

Mines the bundled SciFact sample as `trueneg demo` does, audits it with the INT8 ms-marco
cross-encoder when `make judges` has unpacked it into .models/ (without it the report has no
judge estimate), and screenshots two parts of RUN/report.html in headless Chromium (Debian's
`chromium` and `chromium-driver`, and selenium from the dev extra).
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
JUDGE = REPO / ".models" / "ms-marco-MiniLM-L-12-v2"
IMG = REPO / "docs" / "img"
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
FLAGS = (  # as tests/audit/test_report_browser.py: no network at start
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
)


def trueneg(*args: str, cwd: Path) -> None:
    command = [sys.executable, "-m", "trueneg", *args]
    subprocess.run(command, check=True, cwd=cwd, stdout=subprocess.DEVNULL)


def screenshot(report: Path, width: int) -> tuple[bytes, dict[str, tuple[int, int]]]:
    """The whole report as PNG, and the vertical extent in pixels of each element with an id."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    with tempfile.TemporaryDirectory() as profile:
        options.add_argument(f"--user-data-dir={profile}")
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        try:
            driver.set_window_size(width, 1000)
            driver.get(report.resolve().as_uri())
            driver.execute_script("return document.readyState")
            height = driver.execute_script("return document.documentElement.scrollHeight")
            driver.set_window_size(width, height + 200)
            extents = driver.execute_script(
                "const s = window.devicePixelRatio; return Object.fromEntries("
                "Array.from(document.querySelectorAll('[id]')).map(e => {"
                "const r = e.getBoundingClientRect(); return [e.id, [r.top * s, r.bottom * s]];}));"
            )
            png = driver.get_screenshot_as_png()
        finally:
            driver.quit()
    return png, {k: (int(top), int(bottom)) for k, (top, bottom) in extents.items()}


def save_crop(png: bytes, top: int, bottom: int, out: Path) -> None:
    from PIL import Image

    image = Image.open(io.BytesIO(png))
    image = image.crop((0, max(0, top), image.width, min(image.height, bottom)))
    image = image.convert("RGB")
    out.parent.mkdir(parents=True, exist_ok=True)
    image.save(out, optimize=True)
    print(f"wrote {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, help="audit this finished run instead of mining one")
    parser.add_argument("--out", type=Path, default=IMG, help="folder of the PNG files")
    parser.add_argument("--width", type=int, default=1100)
    args = parser.parse_args()
    judge = ["--judge", str(JUDGE)] if JUDGE.is_dir() else []
    with tempfile.TemporaryDirectory() as tmp:
        # relative names, so that the report shows `trueneg-demo`, not a temporary path
        cwd, run = (Path(tmp), "trueneg-demo") if args.run is None else (Path.cwd(), str(args.run))
        if args.run is None:
            trueneg("demo", "--out", run, "--quiet", cwd=cwd)
        trueneg("audit", run, *judge, "--quiet", cwd=cwd)
        png, extent = screenshot(cwd / run / "report.html", args.width)
    # the summary cards and the score plot; the hidden-qrels plot of false negatives by rank
    save_crop(png, 0, extent["score_histograms"][1] + 8, args.out / "audit-report.png")
    top, bottom = extent["fn_rate_by_rank"]
    save_crop(png, top - 8, bottom + 8, args.out / "audit-fn-by-rank.png")


if __name__ == "__main__":
    main()
