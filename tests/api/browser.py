"""Headless Chromium through selenium, for the chat-page tests (Debian `chromium-driver`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM = "/usr/bin/chromium"


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
    if width < 500:
        # Desktop Chromium will not make a window narrower than about 500 px; emulate a phone.
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": True},
        )
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    return driver
