#!/usr/bin/env python3
"""The web console in a real browser (headless Chromium through Selenium), against a running
server. It checks:

- signing in;
- the overview;
- the tier editor: Diamond's threshold lowered, the live preview's counts read as the field is
  edited, the change saved, the
  re-evaluation job followed to its end, and the chart showing the new distribution;
- a win-back campaign launched, its results read with the uplift drawn;
- an analyst sees no Save button, and a save forged into their page is refused (403);
- a form posted from another site does not reach the session (SameSite=Strict, CSRF token);
- the overview on a phone-sized screen;
- accessibility on every page: labels, named charts, contrast of 4.5:1 or more, keyboard focus.

Screenshots of the pages go to SCREENSHOT_DIR.

Usage: console_browser.py URL SCREENSHOT_DIR."""
import datetime
import json
import os
import sys
import time
import urllib.parse
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from blackbox import checker, client

url, shots = sys.argv[1], Path(sys.argv[2])
shots.mkdir(parents=True, exist_ok=True)
call = client(url)
check = checker("console")

slug = f"console-{int(time.time())}"
password = "correct horse battery staple"
status, _, body = call("POST", "/v1/signup", {
    "tenant": {"name": "Lijiang Travel", "slug": slug, "kind": "agency"},
    "owner": {"email": f"owner@{slug}.example", "password": password, "name": "Owner"}})
check(status == 201, f"sign-up answered {status}")
token = json.loads(body)["session"]["token"]
status, _, body = call("POST", "/v1/programs", {
    "name": "Blue Sky Club", "points_per_currency_unit": 1, "tier_window": {"kind": "rolling_days", "days": 365}},
    token=token)
check(status == 201, f"the programme answered {status}: {body!r}")
program = json.loads(body)["id"]
for customer, count in ((1, 1), (2, 2), (3, 3)):
    for index in range(count):
        ordered = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=index + 2)
        status, _, body = call("POST", "/v1/orders", {
            "customer": {"phone": f"1390000000{customer}"}, "amount_minor": 400000, "currency": "CNY",
            "product": {"name": "Lijiang 4 days", "category": "tour"}, "destination": "Lijiang",
            "ordered_at": ordered.isoformat(timespec="seconds")},
            token=token, headers={"Idempotency-Key": f"{customer}-{index}"})
        check(status == 201, f"an order answered {status}: {body!r}")
# Thirty lapsed customers with marketing consent, and a win-back campaign for them.
status, _, _ = call("PUT", "/v1/message-templates/back", {
    "channel": "email", "purpose": "marketing", "subject": "We miss you", "body": "Come back to Lijiang"}, token=token)
check(status == 201, f"the template answered {status}")
long_ago = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=120)
for i in range(30):
    status, _, body = call("POST", "/v1/customers", {
        "email": f"lapsed{i}@example.com", "consents": {"email": {"granted": True, "purpose": "marketing"}}},
        token=token)
    check(status == 201, f"a customer answered {status}: {body!r}")
    status, _, body = call("POST", "/v1/orders", {
        "customer": {"email": f"lapsed{i}@example.com"}, "amount_minor": 300000, "currency": "CNY",
        "product": {"name": "Lijiang 4 days"}, "ordered_at": long_ago.isoformat(timespec="seconds")},
        token=token, headers={"Idempotency-Key": f"lapsed-{i}"})
    check(status == 201, f"an old order answered {status}: {body!r}")
status, _, body = call("POST", "/v1/campaigns", {
    "name": "Back to Lijiang", "audience": {"lapsed_days_min": 90}, "channel": "email", "template": "back",
    "holdout_percent": 20, "attribution_days": 30}, token=token)
check(status == 201, f"the campaign answered {status}: {body!r}")
campaign = json.loads(body)["id"]
call("POST", "/v1/insight/refresh", token=token)


def browser(phone=False):
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--ignore-certificate-errors",
                     "--window-size=1280,900"):
        options.add_argument(argument)
    if phone:  # a phone's screen: headless windows are at least 500 px wide
        options.add_experimental_option("mobileEmulation",
                                        {"deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 2}})
    if os.path.exists("/usr/bin/chromium"):
        options.binary_location = "/usr/bin/chromium"
    service = webdriver.ChromeService(executable_path="/usr/bin/chromedriver") \
        if os.path.exists("/usr/bin/chromedriver") else webdriver.ChromeService()
    return webdriver.Chrome(options=options, service=service)


def sign_in(driver, email, secret):
    driver.get(url + "/console")
    WebDriverWait(driver, 10).until(expected_conditions.url_contains("/console/sign-in"))
    driver.find_element(By.ID, "tenant").send_keys(slug)
    driver.find_element(By.ID, "email").send_keys(email)
    driver.find_element(By.ID, "password").send_keys(secret)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(driver, 10).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "[data-figure]")))


AUDIT = """
const luminance = c => {
  const [r, g, b] = c.match(/[\\d.]+/g).slice(0, 3).map(Number).map(v => {
    v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};
const ground = e => {
  for (; e; e = e.parentElement) {
    const c = getComputedStyle(e).backgroundColor;
    if (c && c !== 'transparent' && !/^rgba\\(.*, 0\\)$/.test(c)) return c;
  }
  return 'rgb(255, 255, 255)';
};
const problems = [];
if (!document.documentElement.lang) problems.push('no lang');
for (const e of document.querySelectorAll('input:not([type=hidden]), select, textarea'))
  if (!(e.id && document.querySelector(`label[for="${e.id}"]`)) && !e.getAttribute('aria-label'))
    problems.push('unlabelled ' + e.name);
for (const e of document.querySelectorAll('button'))
  if (!e.textContent.trim()) problems.push('a button without text');
for (const e of document.querySelectorAll('svg'))
  if (e.getAttribute('role') !== 'img' || !e.getAttribute('aria-label')) problems.push('an unnamed chart');
for (const e of document.querySelectorAll('p, td, th, a, button, label, legend, h1, h2, li, dt, dd, strong, span')) {
  if (!e.textContent.trim()) continue;
  const a = luminance(getComputedStyle(e).color), b = luminance(ground(e));
  const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  if (ratio < 4.5) problems.push(`contrast ${ratio.toFixed(2)} on ${e.tagName} ${e.textContent.trim().slice(0, 20)}`);
}
return problems;
"""


def diamonds(driver):
    """Diamond's member count as the tier chart draws it."""
    chart = driver.find_element(By.CSS_SELECTOR, "svg[role=img]")
    texts = [element.text for element in chart.find_elements(By.TAG_NAME, "text")]
    return int(texts[texts.index("Diamond") + 1])


driver = browser()
try:
    sign_in(driver, f"owner@{slug}.example", password)
    check(driver.find_element(By.TAG_NAME, "h1").text == "Overview", "the overview is not shown")
    check(driver.find_element(By.CSS_SELECTOR, "[data-figure=customers]").text == "33",
          f"the overview counts {driver.find_element(By.CSS_SELECTOR, '[data-figure=customers]').text} customers")
    driver.save_screenshot(str(shots / "overview.png"))

    driver.get(f"{url}/console/programs/{program}/tiers")
    check(diamonds(driver) == 0, "Diamond has members before the change")
    driver.save_screenshot(str(shots / "tiers.png"))
    top = next(i for i in range(20)
               if driver.find_element(By.NAME, f"t{i}.code").get_attribute("value") == "diamond")
    field = driver.find_element(By.NAME, f"t{top}.min_orders")
    field.clear()
    field.send_keys("1")
    driver.find_element(By.NAME, f"t{top}.min_average_order_minor").clear()
    # The preview follows the edit by itself (the console's script posts it as Preview would):
    # nothing is clicked, and the page is the editor still.
    expected = {"gold>diamond": 2, "->diamond": 1, "potential>diamond": 30}

    def moves(_=None):
        return {element.get_attribute("data-move"): int(element.text)
                for element in driver.find_elements(By.CSS_SELECTOR, "#preview [data-move]")}
    try:
        WebDriverWait(driver, 10).until(lambda _: moves() == expected)
    except Exception:
        pass
    # The two Gold members, the one below every tier and the thirty lapsed (Potential) members.
    check(moves() == expected, f"the live preview shows {moves()}")
    check(driver.current_url.endswith(f"/console/programs/{program}/tiers"), "the live preview left the editor")
    driver.save_screenshot(str(shots / "tier-preview.png"))
    driver.find_element(By.CSS_SELECTOR, "button[value=save]").click()
    WebDriverWait(driver, 60).until(expected_conditions.presence_of_element_located(
        (By.CSS_SELECTOR, "[data-job-state=succeeded]")))
    driver.save_screenshot(str(shots / "tier-job.png"))
    driver.find_element(By.LINK_TEXT, "Back").click()
    WebDriverWait(driver, 10).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "svg")))
    check(diamonds(driver) == 33, f"after the job the chart shows {diamonds(driver)} Diamonds")
    driver.save_screenshot(str(shots / "tiers-after.png"))

    # A campaign launched from the console, and its results.
    driver.get(url + "/console/campaigns")
    driver.find_element(By.LINK_TEXT, "Back to Lijiang").click()
    WebDriverWait(driver, 10).until(expected_conditions.presence_of_element_located(
        (By.CSS_SELECTOR, "[data-campaign-state=draft]")))
    driver.find_element(By.XPATH, "//button[text()='Launch']").click()
    WebDriverWait(driver, 10).until(expected_conditions.presence_of_element_located(
        (By.CSS_SELECTOR, "[data-campaign-state=running]")))
    treated = int(driver.find_element(By.CSS_SELECTOR, "[data-group=treated] td:nth-child(2)").text)
    holdout = int(driver.find_element(By.CSS_SELECTOR, "[data-group=holdout] td:nth-child(2)").text)
    check(treated + holdout == 30 and holdout > 0, f"{treated} treated and {holdout} held out of 30 lapsed")
    # Half of them order again: each is a recovery, in whichever group they are.
    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    for i in range(15):
        status, _, body = call("POST", "/v1/orders", {
            "customer": {"email": f"lapsed{i}@example.com"}, "amount_minor": 320000, "currency": "CNY",
            "product": {"name": "Lijiang 4 days"}, "ordered_at": now}, token=token, headers={"Idempotency-Key": f"back-{i}"})
        check(status == 201, f"a returning order answered {status}: {body!r}")
    driver.refresh()
    recovered = sum(int(driver.find_element(By.CSS_SELECTOR, f"[data-figure={group}-recovered]").text)
                    for group in ("treated", "holdout"))
    check(recovered == 15, f"the results count {recovered} recoveries, not 15")
    check(driver.find_elements(By.CSS_SELECTOR, "[data-figure=uplift]"), "the results draw no uplift")
    driver.save_screenshot(str(shots / "campaign.png"))

    # A form on another site posting to the console: the browser does not send the session with it.
    driver.get("data:text/html," + urllib.parse.quote(
        f'<form method="post" action="{url}/console/sign-out"><input name="csrf" value="x"></form>'
        '<script>document.forms[0].submit()</script>'))
    WebDriverWait(driver, 10).until(expected_conditions.url_contains("/console"))
    time.sleep(0.5)
    driver.get(url + "/console")
    check("/console/sign-in" not in driver.current_url and driver.find_element(By.TAG_NAME, "h1").text == "Overview",
          "a cross-site form post ended the session")

    # Accessibility on every page: a language, a label for every field, text on every button, a
    # name for every chart, and text against its ground at a contrast of 4.5:1 or more (WCAG AA).
    # From the keyboard, the first Tab reaches a link with a visible focus ring.
    ActionChains(driver).send_keys(Keys.TAB).perform()
    focused = driver.execute_script(
        "const e = document.activeElement; const s = getComputedStyle(e);"
        "return [e.tagName, s.outlineStyle, s.outlineWidth]")
    check(focused[0] == "A" and focused[1] != "none" and focused[2] != "0px",
          f"the first Tab focuses {focused[0]} with outline {focused[1]} {focused[2]}")
    driver.get(url + "/console/customers")
    first_customer = driver.find_element(By.CSS_SELECTOR, "td a[href^='/console/customers/']").get_attribute("href")
    first_customer = first_customer.rsplit("/", 1)[1]
    pages = ["/console", "/console/customers", f"/console/customers/{first_customer}",
             f"/console/programs/{program}/tiers", "/console/campaigns", "/console/campaigns/1",
             "/console/communities", "/console/events", "/console/offers", "/console/complaints",
             "/console/touchpoints", "/console/webhooks", "/console/api-keys", "/console/users", "/console/audit"]
    for page in pages:
        driver.get(url + page)
        problems = driver.execute_script(AUDIT)
        check(not problems, f"{page}: {problems}")
    print(f"console accessibility: {len(pages)} pages audited, no unlabelled field, no unnamed chart, "
          f"no text under 4.5:1")
finally:
    driver.quit()

# An analyst: no Save button, and a save forged into the page is refused.
status, _, body = call("POST", "/v1/users", {"email": "ana@example.com", "name": "Ana", "role": "analyst"}, token=token)
check(status == 201, f"inviting the analyst answered {status}: {body!r}")
invitation = json.loads(body)["invitation"]["token"]
status, _, _ = call("POST", "/v1/invitations/accept", {"token": invitation, "password": "a long enough password"})
check(status == 201, f"accepting the invitation answered {status}")
driver = browser()
try:
    sign_in(driver, "ana@example.com", "a long enough password")
    driver.get(f"{url}/console/programs/{program}/tiers")
    check(driver.find_elements(By.CSS_SELECTOR, "button[value=preview]"), "the analyst has no Preview button")
    check(not driver.find_elements(By.CSS_SELECTOR, "button[value=save]"), "the analyst sees a Save button")
    driver.execute_script(
        "const b = document.createElement('button'); b.type = 'submit'; b.name = 'action'; b.value = 'save';"
        "b.id = 'forged'; document.forms[0].appendChild(b);")
    driver.find_element(By.ID, "forged").click()
    WebDriverWait(driver, 10).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "[role=alert]")))
    check(driver.title.startswith("403"), f"the forged save gave the page {driver.title!r}")
finally:
    driver.quit()

driver = browser(phone=True)
try:
    sign_in(driver, f"owner@{slug}.example", password)
    width, screen = driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
    check(screen == 390 and width <= screen, f"the overview is {width} px wide on a {screen} px screen")
    driver.save_screenshot(str(shots / "overview-phone.png"))
finally:
    driver.quit()
print(f"console: sign-in, overview, tier preview (33 to Diamond), save and re-evaluation, "
      f"a campaign launched with its results, "
      f"analyst refused, cross-site post kept out, phone width; screenshots in {shots}")
