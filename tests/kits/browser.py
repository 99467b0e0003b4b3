"""The portal's browser tests' common parts: Debian's Chromium (never a download) with the
flags this machine needs, accounts made by `bridge users add`, screenshots kept as CI
output ($BRIDGE_TEST_ARTIFACTS/portal, default tests/output/portal)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(os.environ.get("BRIDGE_TEST_ARTIFACTS")
                 or Path(__file__).parents[1] / "output") / "portal"
PASSWORD = "a long enough password"


@contextmanager
def chromium() -> Iterator[Browser]:
    """Headless Chromium; launch() gives it a new, empty user-data dir (removed after)."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=ARGS)
        yield launched
        launched.close()


def add_user(config: Path, name: str, *args: str) -> None:
    """`bridge users add NAME ARGS…` with PASSWORD typed on its standard input."""
    subprocess.run([sys.executable, "-m", "bridge", "users", "-c", str(config), "add", name,
                    *args, "--password-file", "-"], input=PASSWORD + "\n", text=True,
                   check=True, capture_output=True, timeout=60)


def shot(page: Page, name: str) -> None:
    """A full-page screenshot kept as CI output."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
