"""The studio's page in a real browser (Chromium through Selenium), against a running `stylize studio`.

Usage: studio_browser_test.py URL FOLDER STYLIZE PRESETS_FOLDER [SCREENSHOT]
Run by scripts/test-studio, which installs the browser, starts the studio and cleans up. Exits non-zero on the
first failed check, naming it.
"""
import json
import os
import subprocess
import sys
import time

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

url, folder, stylize, presets = sys.argv[1:5]
screenshot = sys.argv[5] if len(sys.argv) > 5 else None
output = os.path.join(folder, "output")
checks = 0


def check(condition, message):
    global checks
    if not condition:
        print(f"test-studio: FAILED: {message}", file=sys.stderr)
        sys.exit(1)
    checks += 1
    print(f"test-studio: ok: {message}")


def wait(what, predicate, timeout=180, every=0.2):
    end = time.time() + timeout
    while time.time() < end:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    print(f"test-studio: FAILED: timed out after {timeout} s waiting for {what}", file=sys.stderr)
    sys.exit(1)


options = webdriver.ChromeOptions()
for flag in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1100,900"]:
    options.add_argument(flag)
options.binary_location = "/usr/bin/chromium"
service = webdriver.ChromeService(executable_path="/usr/bin/chromedriver")
driver = webdriver.Chrome(options=options, service=service)
driver.set_script_timeout(30)


def js(script, *args):
    return driver.execute_script(script, *args)


def records():
    return js("return window.studio.records.map(e => [e.run, e.segment, e.record.scale, e.record.iteration, e.record.style, e.record.content, e.record.total, e.time])")


def picture_hash():
    """A digest of the picture as the page shows it (drawn on a canvas), or None before the first one."""
    return js("""
        const img = document.getElementById('picture');
        if (!img.complete || !img.naturalWidth) return null;
        const c = document.createElement('canvas'); c.width = img.naturalWidth; c.height = img.naturalHeight;
        const g = c.getContext('2d'); g.drawImage(img, 0, 0);
        const d = g.getImageData(0, 0, c.width, c.height).data;
        let h = 0; for (let i = 0; i < d.length; i++) h = (h * 31 + d[i]) | 0;
        return c.width + 'x' + c.height + ':' + h;""")


try:
    driver.get(url)
    wait("the page to list the folder's images", lambda: js("return window.studio.state && window.studio.state.images.length >= 2"))
    first_tab = driver.current_window_handle

    # Start a run from the page: names from the folder, a tiny size.
    Select(driver.find_element(By.ID, "content")).select_by_value("building.jpg")
    Select(driver.find_element(By.ID, "style")).select_by_value("starry_night.jpg")
    Select(driver.find_element(By.ID, "preset")).select_by_value("default")
    for field, value in [("size", "64"), ("iterations", "400")]:
        element = driver.find_element(By.ID, field)
        element.clear()
        element.send_keys(value)
    driver.find_element(By.ID, "startButton").click()
    wait("the run's first steps", lambda: len(records()) >= 3)
    run_id = records()[0][0]

    # The picture changes while the run goes.
    first = wait("the first picture", picture_hash)
    later = wait("a different picture", lambda: (h := picture_hash()) and h != first and h, timeout=120)
    check(first != later, f"the picture changes while the run goes ({first} then {later})")

    # The loss terms arrive in order: per segment, scale by scale, iteration by iteration, all finite.
    r = records()
    keys = [(seg, scale, it) for (_, seg, scale, it, *_rest) in r]
    check(keys == sorted(keys) and len(set(keys)) == len(keys), f"{len(keys)} step records arrived in order, none twice")
    check(all(isinstance(x[6], (int, float)) for x in r), "every record carries a numeric total")
    terms = js("return Array.from(document.querySelectorAll('#terms td[data-term]')).map(t => t.dataset.term)")
    check(terms[:4] == ["total", "content", "style", "tv"] and any(t.startswith("block") for t in terms),
          f"the page shows every loss term and the per-layer style terms ({terms})")

    # A second tab sees the same run, with the steps so far replayed in the same order.
    driver.switch_to.new_window("tab")
    driver.get(url)
    wait("the second tab's records", lambda: len(records()) >= 3)
    second = records()
    check(second[0][0] == run_id, "the second tab shows the same run")
    driver.switch_to.window(first_tab)
    mine = records()
    n = min(len(mine), len(second))
    check([x[:4] for x in mine[:n]] == [x[:4] for x in second[:n]], f"both tabs hold the same {n} records in the same order")

    # Look inside: the Gram comparison and a feature grid, drawn on request.
    driver.find_element(By.ID, "gramButton").click()
    wait("the Gram heatmaps", lambda: js("return window.studio.gramsLoaded") >= 1, timeout=60)
    Select(driver.find_element(By.ID, "featureLayer")).select_by_value("block2_conv1")
    driver.find_element(By.ID, "featureButton").click()
    wait("the feature grid", lambda: js("return window.studio.featuresLoaded") >= 1, timeout=60)
    size = js("const g = document.getElementById('grams'); return [g.naturalWidth, g.naturalHeight]")
    check(size[0] > 100 and size[1] > size[0], f"the Gram sheet is drawn, one row per style layer ({size[0]}x{size[1]})")

    # On a phone-sized window nothing runs off the side.
    driver.set_window_size(390, 844)
    time.sleep(0.5)
    widths = js("return [document.documentElement.scrollWidth, window.innerWidth]")
    check(widths[0] <= widths[1] + 1, f"on a phone-sized window the page fits its width ({widths[0]} <= {widths[1]} px)")
    driver.set_window_size(1100, 900)

    # A weight change: β times 10, applied from the current picture; the style term moves within 5 steps.
    before = records()[-1]
    style_field = driver.find_element(By.ID, "wStyle")
    beta = float(style_field.get_attribute("value"))
    style_field.clear()
    style_field.send_keys(repr(beta * 10))
    driver.find_element(By.ID, "applyButton").click()
    clicked_at = records()[-1]
    wait("the continued run's steps", lambda: len([x for x in records() if x[1] == 1]) >= 6, timeout=180)
    r = records()
    old = [x for x in r if x[1] == 0]
    new = [x for x in r if x[1] == 1]
    check(old[-1][3] - clicked_at[3] <= 5, f"the change took effect within 5 steps (step {clicked_at[3]} to {old[-1][3]})")
    # The first record of the new objective is its start, the picture where the old one stopped: its style term is
    # beta' * sum(w E) with the same E, ten times the old one.
    ratio = new[0][4] / old[-1][4]
    check(5 < ratio < 20, f"the style term moved at once: {old[-1][4]:.4g} -> {new[0][4]:.4g} (x{ratio:.1f}, beta x10)")
    # And the picture follows: the style error (the term over beta) falls faster in the 5 steps after the change
    # than in the 5 steps before it.
    same_scale = [x for x in old if x[2] == old[-1][2]]
    before_fall = 1 - same_scale[-1][4] / same_scale[-6][4] if len(same_scale) >= 6 else 0
    after_fall = 1 - new[5][4] / new[0][4]
    check(after_fall > before_fall, f"within 5 steps the style error falls by {after_fall:.1%} (the 5 steps before: {before_fall:.1%})")
    check(new[0][7] >= old[-1][7], "the time axis runs on across the change")

    if screenshot:
        driver.find_element(By.ID, "gramButton").click()
        wait("the Gram heatmaps again", lambda: js("return window.studio.gramsLoaded") >= 2, timeout=60)
        js("window.scrollTo(0, 0)")
        time.sleep(1)
        driver.save_screenshot(screenshot)
        print(f"test-studio: screenshot {screenshot}")

    # Save preset: a bundled name is refused; a new one is written, validated, and loads with --preset.
    name_field = driver.find_element(By.ID, "presetName")
    name_field.send_keys("default")
    driver.find_element(By.ID, "saveButton").click()
    wait("the refusal of a bundled preset's name", lambda: "bundled" in driver.find_element(By.ID, "messages").text, timeout=30)
    check(not os.path.exists(os.path.join(presets, "default.json")), "a bundled preset's name is not written")
    name_field.clear()
    name_field.send_keys("studio-test")
    driver.find_element(By.ID, "saveButton").click()
    path = os.path.join(presets, "studio-test.json")
    wait("the saved preset", lambda: os.path.exists(path), timeout=30)
    saved = json.load(open(path))
    check(abs(saved["style_weight"] - beta * 10) < 1e-9 * max(1, beta * 10), f"the preset holds the page's style weight ({saved['style_weight']})")

    # Stop: the best image and the checkpoint are written, as Ctrl-C writes them.
    stop_time = time.time()
    driver.find_element(By.ID, "stopButton").click()
    wait("the run's end", lambda: js("return window.studio.ends.length") >= 1, timeout=120)
    image = os.path.join(output, "building-starry_night.png")
    ckpt = os.path.join(output, "building-starry_night.ckpt")
    check(os.path.exists(image) and os.path.getmtime(image) >= stop_time - 1, f"Stop wrote the image ({image})")
    check(os.path.exists(ckpt) and os.path.getmtime(ckpt) >= stop_time - 1, f"Stop wrote the checkpoint ({ckpt})")
    end = js("return window.studio.ends[0]")
    check(not end["failed"] and "stopped" in end["message"], f"the page says the run stopped: {end['message']}")
finally:
    driver.quit()

# The saved preset loads with --preset NAME, with the page's weights.
env = dict(os.environ)
dry = subprocess.run([stylize, "--content", os.path.join(folder, "building.jpg"), "--style", os.path.join(folder, "starry_night.jpg"),
                      "--preset", "studio-test", "--size", "32", "--iterations", "2", "-o", os.path.join(output, "preset-check.png")],
                     capture_output=True, text=True, env=env)
check(dry.returncode == 0, f"stylize --preset studio-test runs (status {dry.returncode}: {dry.stderr.strip()[-300:]})")
check("preset: studio-test" in dry.stderr, "the run names the saved preset")
print(f"test-studio: all {checks} checks passed")
