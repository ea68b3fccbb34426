"""Saves a screenshot of one dashboard page with headless Chromium (for Docs/).

Usage: screenshot.py --url http://127.0.0.1:PORT --token T --path /queues --out Docs/x.png [--width 1400]
"""
import argparse
import os

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--path", default="/")
    ap.add_argument("--out", required=True)
    ap.add_argument("--width", type=int, default=1400)
    a = ap.parse_args()
    opts = Options()
    opts.add_argument("--headless=new")
    opts.add_argument("--no-sandbox")
    opts.add_argument("--disable-dev-shm-usage")
    opts.add_argument(f"--window-size={a.width},1400")
    if os.environ.get("CHROME_BIN"):
        opts.binary_location = os.environ["CHROME_BIN"]
    driver = webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")), options=opts)
    try:
        driver.get(f"{a.url}{a.path}?token={a.token}")
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(a.width, min(max(height + 40, 400), 2400))
        driver.save_screenshot(a.out)
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
