#!/usr/bin/env python3
"""Real-browser test of celery-dashboard: headless Chromium (Debian's chromium + chromium-driver)
driven by selenium. Loads the overview, enqueues tasks.add from the form, and waits until the
task's row reaches SUCCESS through server-sent events, without reloading the page. Takes
screenshots of every page into --screenshots.

Exit status 0 = passed; anything else = failed (the message says which step).
Usage: dashboard_browser_test.py --url http://127.0.0.1:PORT --token T --queue Q --screenshots DIR
"""
import argparse
import os
import sys
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from headless import run


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--queue", required=True)
    ap.add_argument("--screenshots", required=True)
    ap.add_argument("--timeout", type=float, default=30)
    a = ap.parse_args()

    def body(driver, wait, steps):
        steps("sign in with the token and load the overview")
        driver.get(f"{a.url}/?token={a.token}")
        wait.until(EC.presence_of_element_located((By.ID, "enqueue-form")))
        assert "token=" not in driver.current_url, "the token must leave the address bar"

        steps("live updates connect (server-sent events)")
        wait.until(lambda d: d.find_element(By.ID, "live-status").text == "live: on")

        steps("enqueue tasks.add from the form")
        driver.execute_script("window.__marker = 'no reload'")
        name = driver.find_element(By.ID, "enqueue-name")
        name.clear(); name.send_keys("tasks.add")
        args = driver.find_element(By.ID, "enqueue-args")
        args.clear(); args.send_keys("[20, 22]")
        q = driver.find_element(By.ID, "enqueue-queue")
        q.clear(); q.send_keys(a.queue)
        driver.find_element(By.CSS_SELECTOR, "#enqueue-form button[type=submit]").click()

        steps("confirm the action")
        wait.until(EC.alert_is_present())
        alert = driver.switch_to.alert
        assert "Send this task" in alert.text, alert.text
        alert.accept()

        steps("the page shows the new task id")
        wait.until(lambda d: d.find_element(By.ID, "enqueue-result").get_attribute("data-task-id"))
        task_id = driver.find_element(By.ID, "enqueue-result").get_attribute("data-task-id")

        steps(f"task {task_id} reaches SUCCESS live")
        row = f'#live-tasks tr[data-id="{task_id}"][data-state="SUCCESS"]'
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, row)))
        cells = driver.find_element(By.CSS_SELECTOR, row).find_elements(By.TAG_NAME, "td")
        assert cells[4].text == "42", f"result cell is {cells[4].text!r}"
        assert driver.execute_script("return window.__marker") == "no reload", "the page was reloaded"
        time.sleep(0.3)
        driver.save_screenshot(os.path.join(a.screenshots, "dashboard-overview-live.png"))

        steps("task detail page")
        driver.get(f"{a.url}/task/{task_id}")
        wait.until(lambda d: "SUCCESS" in d.find_element(By.ID, "task-state").text)
        assert "20, 22" in driver.page_source, "the arguments are on the page"
        driver.save_screenshot(os.path.join(a.screenshots, "dashboard-task.png"))

        for page, shot, marker in (("/tasks", "dashboard-tasks.png", "tasks"), ("/queues", "dashboard-queues.png", "queues"),
                                   ("/workers", "dashboard-workers.png", "demo-form"),
                                   ("/", "dashboard-overview.png", "throughput-chart")):
            steps(f"page {page}")
            driver.get(a.url + page)
            wait.until(EC.presence_of_element_located((By.ID, marker)))
            driver.save_screenshot(os.path.join(a.screenshots, shot))
        return f"browser test passed: {task_id} reached SUCCESS live; screenshots in {a.screenshots}"

    return run(body, a.screenshots, "browser-failure.png", window=(1280, 1400), timeout=a.timeout)


if __name__ == "__main__":
    sys.exit(main())
