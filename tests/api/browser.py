"""Headless Chromium through selenium, for the chat-page tests (Debian `chromium-driver`), and
axe-core, the accessibility checker, run inside it."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM = "/usr/bin/chromium"
AXE_VERSION = "4.14.1"
NPM_TIMEOUT_S = 300


def start_chromium(profile_dir: Path, width: int = 1280, height: int = 900) -> webdriver.Chrome:
    if not (shutil.which(CHROMEDRIVER) and shutil.which(CHROMIUM)):
        pytest.fail("chromium and chromium-driver are required (make system-deps)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile_dir}",
        f"--window-size={width},{height}",
        "--hide-scrollbars",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    # The viewport is exactly width x height (the window's size is not: it includes the browser
    # frame); below 500 px, which a desktop window cannot reach, as a phone.
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 500},
    )
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    return driver


def axe_source(folder: Path) -> str:
    """axe-core's browser bundle, installed with npm into `folder` the first time."""
    package = folder / "node_modules" / "axe-core"
    installed = package / "package.json"
    if not (installed.is_file() and json.loads(installed.read_text())["version"] == AXE_VERSION):
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is needed once to fetch axe-core (Debian package `npm`)")
        command = [npm, "install", "--prefix", str(folder), "--no-save", "--no-audit", "--no-fund"]
        done = subprocess.run(
            [*command, "--loglevel=error", f"axe-core@{AXE_VERSION}"],
            capture_output=True,
            text=True,
            timeout=NPM_TIMEOUT_S,
        )
        if done.returncode != 0:
            pytest.fail(f"npm could not install axe-core {AXE_VERSION}: {done.stderr[-2000:]}")
    return (package / "axe.min.js").read_text(encoding="utf-8")


def axe_violations(driver: webdriver.Chrome, source: str) -> list[dict[str, Any]]:
    """axe-core's WCAG violations on the page as it is now: id, impact, help and the nodes."""
    driver.execute_script(source)
    result = driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        axe.run(document, { resultTypes: ["violations"] })
          .then((r) => done(r.violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map((n) => n.target.join(" ")),
          }))))
          .catch((e) => done({ error: String(e) }));
        """
    )
    if isinstance(result, dict):
        pytest.fail(f"axe-core failed: {result['error']}")
    return list(result)
