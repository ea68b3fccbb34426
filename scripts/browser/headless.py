"""What the real-browser tests share: headless Chromium from Debian (`chromium`,
`chromium-driver`; env CHROMIUM / CHROMEDRIVER point elsewhere) under selenium, and a runner
that names the step that failed, saves a screenshot of it and turns the outcome into an exit
status (0 = passed).
"""
import os
import sys

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait


class Steps:
    """The step a test is at; `steps("what")` moves on (the failure message names it)."""

    def __init__(self):
        self.now = "start"

    def __call__(self, name):
        self.now = name


def chromium(width, height):
    """A headless Chromium window of `width` x `height` pixels."""
    opts = Options()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", f"--window-size={width},{height}"):
        opts.add_argument(flag)
    opts.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    return webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")), options=opts)


def run(body, screenshots, failure_png, window=(1280, 1400), timeout=30):
    """Runs `body(driver, wait, steps)`, which returns the success message; returns the exit
    status. On failure saves `screenshots/failure_png` and prints the step that failed."""
    os.makedirs(screenshots, exist_ok=True)
    driver = chromium(*window)
    driver.set_script_timeout(timeout)
    steps = Steps()
    try:
        print(body(driver, WebDriverWait(driver, timeout), steps))
        return 0
    except Exception as e:  # report the step that failed
        try:
            driver.save_screenshot(os.path.join(screenshots, failure_png))
        except Exception:
            pass
        print(f"browser test failed at step '{steps.now}': {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    finally:
        driver.quit()
