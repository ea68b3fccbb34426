#!/usr/bin/env python3
"""Real-browser test of celery-webapp-example: headless Chromium (Debian's chromium +
chromium-driver) driven by selenium. Signs in through the login form, checks that a POST
without the page's CSRF token is refused, signs up, uploads a real PNG through the page's
file input, waits for both jobs to reach SUCCESS and for the thumbnail to load (checking its
natural size), signs out, and saves screenshots into --screenshots.

Exit status 0 = passed; anything else = failed (the message says which step).
Usage: webapp_browser_test.py --url http://127.0.0.1:PORT --token T --png FILE
       --width W --height H --screenshots DIR [--timeout S]
"""
import argparse
import os
import sys

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from headless import run


def state(driver, box):
    """The job state shown in #box (read in one script call: the page redraws the box as it polls)."""
    return driver.execute_script(f"const s = document.querySelector('#{box} .state'); return s ? s.textContent : ''")


POST_WITHOUT_TOKEN = """
const done = arguments[arguments.length - 1];
fetch("/signup", {method: "POST", headers: {"Content-Type": "application/json"},
                  body: JSON.stringify({name: "Mallory", email: "m@example.org"})})
  .then(async r => done([r.status, (await r.json()).error]), e => done([0, String(e)]));
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--png", required=True)
    ap.add_argument("--width", type=int, required=True, help="expected thumbnail width")
    ap.add_argument("--height", type=int, required=True, help="expected thumbnail height")
    ap.add_argument("--screenshots", required=True)
    ap.add_argument("--timeout", type=float, default=30)
    a = ap.parse_args()

    def body(driver, wait, steps):
        steps("the page without a session is the login form")
        driver.get(a.url + "/")
        wait.until(EC.presence_of_element_located((By.ID, "login")))
        assert driver.find_elements(By.ID, "thumb") == [], "the app's page must not show before signing in"

        steps("a wrong token is refused")
        driver.find_element(By.ID, "login-token").send_keys("not-the-token-0123456789")
        driver.find_element(By.CSS_SELECTOR, "#login button[type=submit]").click()
        wait.until(EC.presence_of_element_located((By.ID, "login-error")))
        driver.save_screenshot(os.path.join(a.screenshots, "webapp-login.png"))

        steps("sign in with the token")
        driver.find_element(By.ID, "login-token").send_keys(a.token)
        driver.find_element(By.CSS_SELECTOR, "#login button[type=submit]").click()
        wait.until(EC.presence_of_element_located((By.ID, "thumb")))
        cookies = driver.get_cookies()
        session = [c for c in cookies if c["name"] == "webapp_session"]
        assert session and session[0]["httpOnly"] and session[0].get("sameSite") == "Strict", f"session cookie: {cookies}"
        assert driver.execute_script("return document.cookie").find("webapp_session") < 0, "the script must not see the session cookie"

        steps("a POST without the CSRF token is refused")
        status, error = driver.execute_async_script(POST_WITHOUT_TOKEN)
        assert status == 403 and "CSRF" in error, f"{status} {error}"

        steps("sign up from the form")
        form = driver.find_element(By.ID, "signup")
        form.find_element(By.NAME, "name").send_keys("Ada Lovelace")
        form.find_element(By.NAME, "email").send_keys("ada@example.org")
        form.find_element(By.TAG_NAME, "button").click()
        wait.until(lambda d: state(d, "signup-job") in ("SUCCESS", "FAILURE"))
        assert state(driver, "signup-job") == "SUCCESS", driver.find_element(By.ID, "signup-job").text
        assert ".eml" in driver.find_element(By.ID, "signup-job").text

        steps("upload the PNG through the file input")
        thumb = driver.find_element(By.ID, "thumb")
        thumb.find_element(By.CSS_SELECTOR, "input[type=file]").send_keys(os.path.abspath(a.png))
        side = thumb.find_element(By.NAME, "max_side")
        side.clear()
        side.send_keys(str(max(a.width, a.height)))
        thumb.find_element(By.TAG_NAME, "button").click()

        steps("the thumbnail job reaches SUCCESS")
        wait.until(lambda d: state(d, "thumb-job") in ("SUCCESS", "FAILURE"))
        assert state(driver, "thumb-job") == "SUCCESS", driver.find_element(By.ID, "thumb-job").text

        steps("the thumbnail image loads with the expected natural size")
        wait.until(lambda d: d.execute_script(
            "const i = document.querySelector('#thumb-job img'); return i && i.complete && i.naturalWidth > 0"))
        size = driver.execute_script("const i = document.querySelector('#thumb-job img'); return [i.naturalWidth, i.naturalHeight]")
        assert size == [a.width, a.height], f"thumbnail is {size}, expected {[a.width, a.height]}"
        driver.save_screenshot(os.path.join(a.screenshots, "webapp-page.png"))

        steps("sign out ends the session")
        driver.find_element(By.CSS_SELECTOR, "#logout button").click()
        wait.until(EC.presence_of_element_located((By.ID, "login")))
        driver.get(a.url + "/")
        wait.until(EC.presence_of_element_located((By.ID, "login")))
        return f"browser test passed: signed in, signed up, thumbnail {size[0]}x{size[1]}, signed out; screenshots in {a.screenshots}"

    return run(body, a.screenshots, "webapp-browser-failure.png", window=(900, 1100), timeout=a.timeout)


if __name__ == "__main__":
    sys.exit(main())
