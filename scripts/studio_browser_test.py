"""The studio's page in a real browser (Chromium through Selenium), against a running `stylize studio`.

Usage: studio_browser_test.py URL FOLDER STYLIZE PRESETS_FOLDER [SCREENSHOT]
Run by scripts/test-studio, which installs the browser, starts the studio and cleans up. Exits non-zero on the
first failed check, naming it.
"""
import base64
import json
import os
import struct
import subprocess
import sys
import time
import zlib

from selenium import webdriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
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
    return js("return window.studio.records.map(e => [e.run, e.segment, e.record.scale, e.record.iteration, e.record.style, e.record.content, e.record.total, e.time, e.record.width, e.record.height])")


def segment(n):
    """The run event of segment n as the page got it (its settings), or None before it."""
    return js("return window.studio.segments[arguments[0]] || null", n)


def new_segment_steps(n, count=6, timeout=180):
    """Waits for `count` steps of segment n; returns (the records before it, its records)."""
    wait(f"segment {n}'s steps", lambda: len([x for x in records() if x[1] == n]) >= count, timeout=timeout)
    r = records()
    return [x for x in r if x[1] < n], [x for x in r if x[1] == n]


def set_field(element_id, value):
    field = driver.find_element(By.ID, element_id)
    field.clear()
    field.send_keys(value)
    return field


def png(width, height, pixel):
    """A PNG of `pixel(x, y) -> (r, g, b)`, made here so that the test needs no imaging library."""
    rows = b"".join(b"\x00" + bytes(c for x in range(width) for c in pixel(x, y)) for y in range(height))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def chroma_gap(photo_path):
    """Mean |Cb - Cb'| + |Cr - Cr'| (BT.601, 0...255) between the page's picture and the photo drawn at its size."""
    data = "data:image/jpeg;base64," + base64.b64encode(open(photo_path, "rb").read()).decode()
    return driver.execute_async_script("""
        const done = arguments[arguments.length - 1], picture = document.getElementById('picture');
        const photo = new Image();
        photo.onload = () => {
            const w = picture.naturalWidth, h = picture.naturalHeight;
            const pixels = img => { const c = document.createElement('canvas'); c.width = w; c.height = h;
                                    const g = c.getContext('2d'); g.drawImage(img, 0, 0, w, h); return g.getImageData(0, 0, w, h).data; };
            const a = pixels(picture), b = pixels(photo);
            const cb = (d, i) => -0.168736 * d[i] - 0.331264 * d[i + 1] + 0.5 * d[i + 2];
            const cr = (d, i) => 0.5 * d[i] - 0.418688 * d[i + 1] - 0.081312 * d[i + 2];
            let sum = 0;
            for (let i = 0; i < a.length; i += 4) sum += Math.abs(cb(a, i) - cb(b, i)) + Math.abs(cr(a, i) - cr(b, i));
            done(sum / (w * h));
        };
        photo.onerror = () => done(null);
        photo.src = arguments[0];""", data)


def picture_size():
    return js("const p = document.getElementById('picture'); return [p.naturalWidth, p.naturalHeight]")


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
    for field, value in [("size", "64"), ("iterations", "1000")]:
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

    # On a phone-sized window nothing runs off the side, the sliders included.
    driver.set_window_size(375, 812)
    time.sleep(0.5)
    widths = js("return [document.documentElement.scrollWidth, window.innerWidth]")
    check(widths[0] <= widths[1] + 1, f"on a phone-sized window the page fits its width ({widths[0]} <= {widths[1]} px)")
    sliders = js("""return Array.from(document.querySelectorAll('#controls input')).map(e => {
        const r = e.getBoundingClientRect(); return [e.id, r.left, r.right, r.width]; })""")
    check(len(sliders) >= 2 * 8 and all(0 <= left and right <= widths[1] + 1 and width >= 40 for _, left, right, width in sliders),
          f"on a {widths[1]} px window every slider and field of the {len(sliders) // 2} settings is inside it and usable: "
          + ", ".join(f"{i} {w:.0f} px" for i, _, _, w in sliders if i.startswith("s_")))
    driver.set_window_size(1100, 900)
    time.sleep(0.5)

    # A weight change: β times 10, applied from the current picture; the style term moves within 5 steps.
    before = records()[-1]
    beta = float(driver.find_element(By.ID, "f_style").get_attribute("value"))
    set_field("f_style", repr(beta * 10))
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

    # A weight slider: dragged about one decade to the left, it sets its field (10^position) and the run, whose
    # style term follows the new beta within 5 steps, by the factor the field says.
    slider = driver.find_element(By.ID, "s_style")
    lo, hi, at = (float(slider.get_attribute(k)) for k in ("min", "max", "value"))
    width = slider.size["width"]
    x = (at - lo) / (hi - lo) * width - width / 2   # the thumb, from the slider's centre (within its half width)
    ActionChains(driver).move_to_element_with_offset(slider, round(x), 0).click_and_hold() \
        .move_by_offset(-round(width / (hi - lo)), 0).release().perform()
    dragged_at = records()[-1]
    position = float(slider.get_attribute("value"))
    field = float(driver.find_element(By.ID, "f_style").get_attribute("value"))
    check(position < at and abs(field - float(f"{10 ** position:.3g}")) <= 2e-3 * field,
          f"the style slider moved from 10^{at:.2f} to 10^{position:.2f}, and its field says {field:g}")
    check(1 / 30 < field / (beta * 10) < 1 / 3, f"the drag took beta about a decade down ({beta * 10:g} -> {field:g})")
    old, new = new_segment_steps(2)
    check(old[-1][3] - dragged_at[3] <= 5, f"the slider took effect within 5 steps (step {dragged_at[3]} to {old[-1][3]})")
    moved, expected = new[0][4] / old[-1][4], field / (beta * 10)
    check(0.5 < moved / expected < 2, f"the style term followed the slider: {old[-1][4]:.4g} -> {new[0][4]:.4g} (x{moved:.3g}, beta x{expected:.3g})")
    check(segment(2)["weights"]["style"] == field, "the run reports the slider's beta")

    # Size: the run continues at the new size from its current picture. The picture's size changes; its style error
    # (the style term over beta) at the first step of the new size is far below that of the run's start from the
    # photo, which a fresh start at the new size would also begin near.
    first_size = picture_size()
    target = 96
    set_field("f_size", str(target)).send_keys(Keys.ENTER)
    old, new = new_segment_steps(3)
    info = segment(3)
    check(info["size"] == target and max(info["scales"][-1]["width"], info["scales"][-1]["height"]) == target,
          f"the run continues towards {target} px (scales {[(s['width'], s['height']) for s in info['scales']]})")
    check(max(new[0][8], new[0][9]) != max(old[-1][8], old[-1][9]), f"the steps run at the new size ({old[-1][8]}x{old[-1][9]} -> {new[0][8]}x{new[0][9]})")
    resized = wait("the picture at the new size", lambda: (z := picture_size()) != first_size and z, timeout=60)
    check(resized in [[x[8], x[9]] for x in records() if x[1] >= 3],
          f"the picture changed size with the run ({first_size[0]}x{first_size[1]} -> {resized[0]}x{resized[1]})")
    start_error = old[0][4] / segment(0)["weights"]["style"]
    continued_error = new[0][4] / info["weights"]["style"]
    check(continued_error < 0.5 * start_error,
          f"the new size starts from the current picture: style error {continued_error:.4g}, the run's start from the photo {start_error:.4g}")

    # Style scale: the style targets are rebuilt; at the same picture and weights the style term changes at once.
    set_field("f_styleScale", "2").send_keys(Keys.ENTER)
    old, new = new_segment_steps(4)
    check(segment(4)["styleScale"] == 2, "the run reports style scale 2")
    change = new[0][4] / old[-1][4]
    check(abs(change - 1) > 0.1, f"the new style targets change the style term at once ({old[-1][4]:.4g} -> {new[0][4]:.4g})")

    if screenshot:
        driver.find_element(By.ID, "gramButton").click()
        wait("the Gram heatmaps again", lambda: js("return window.studio.gramsLoaded") >= 2, timeout=60)
        js("window.scrollTo(0, 0)")
        time.sleep(1)
        driver.save_screenshot(screenshot)
        print(f"test-studio: screenshot {screenshot}")

    # Colour mode keep: the picture the page shows takes the photo's colours (its chroma), which in style mode it lacks.
    photo = os.path.join(folder, "building.jpg")
    styled_gap = chroma_gap(photo)
    Select(driver.find_element(By.ID, "color")).select_by_value("keep")
    old, new = new_segment_steps(5)
    check(segment(5)["color"] == "keep", "the run reports colour mode keep")
    shown = js("return window.studio.images")
    wait("a picture of the new mode", lambda: js("return window.studio.images") >= shown + 2, timeout=60)
    kept_gap = chroma_gap(photo)
    check(kept_gap < 0.5 * styled_gap, f"with keep the picture has the photo's colours (chroma gap {kept_gap:.2f}, before {styled_gap:.2f})")

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
    page_beta = float(driver.find_element(By.ID, "f_style").get_attribute("value"))
    check(abs(saved["style_weight"] - page_beta) < 1e-9 * max(1, page_beta), f"the preset holds the page's style weight ({saved['style_weight']})")

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

    # Upload in the browser: the file input gets a PNG (red left, green right, 80x48), Upload stores it in the
    # folder, and a run started from it has its name and starts from its picture.
    upload = os.path.join(output, "upload-test.png")
    with open(upload, "wb") as f:
        f.write(png(80, 48, lambda x, y: (220, 40, 40) if x < 40 else (40, 200, 40)))
    driver.find_element(By.ID, "upload").send_keys(upload)
    driver.find_element(By.ID, "uploadButton").click()
    wait("the upload in the folder's list", lambda: "upload-test.png" in (js("return window.studio.state.images") or []), timeout=30)
    check(os.path.exists(os.path.join(folder, "upload-test.png")), "the upload is stored in the studio's folder")
    Select(driver.find_element(By.ID, "content")).select_by_value("upload-test.png")
    set_field("size", "64")
    set_field("iterations", "10")
    driver.find_element(By.ID, "startButton").click()
    wait("the uploaded picture's run", lambda: js("return window.studio.run && window.studio.run.content") == "upload-test.png", timeout=60)
    wait("its end", lambda: js("return window.studio.ends.length") >= 2, timeout=120)
    wait("its last picture", lambda: picture_size() == [64, 38], timeout=30)
    halves = js("""
        const p = document.getElementById('picture'), c = document.createElement('canvas');
        c.width = p.naturalWidth; c.height = p.naturalHeight;
        const g = c.getContext('2d'); g.drawImage(p, 0, 0); const d = g.getImageData(0, 0, c.width, c.height).data;
        const s = [0, 0];
        for (let i = 0; i < d.length; i += 4) s[(i / 4) % c.width < c.width / 2 ? 0 : 1] += d[i] - d[i + 1];
        return s.map(v => v / (c.width * c.height / 2));""")
    check(halves[0] - halves[1] > 60, f"the run started from the upload: its left half redder than its right (R-G {halves[0]:.0f} vs {halves[1]:.0f})")
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
