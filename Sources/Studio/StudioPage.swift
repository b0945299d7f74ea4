/// The studio's page: one self-contained HTML document (its CSS and script inline, no external file, font or
/// library), laid out in two columns that become one on a phone-sized window.
///
/// The script listens to `/api/events` (server-sent events), keeps the run's step records in order in
/// `window.studio.records` and each segment's settings in `window.studio.segments` (the browser tests read them there), draws the loss-against-time curve as inline SVG,
/// and asks for the picture (`/api/image`) only when the previous one has loaded, so a slow page never queues
/// encodings.
enum StudioPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>stylize studio</title>
<style>
:root { --fg: #1d1d1f; --muted: #6b6b70; --line: #d8d8dc; --bg: #fafafa; --accent: #3556c9; --bad: #b3261e; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
header { padding: 8px 12px; border-bottom: 1px solid var(--line); display: flex; flex-wrap: wrap; gap: 4px 16px; align-items: baseline; }
header h1 { font-size: 16px; margin: 0; }
#status { color: var(--muted); }
main { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 12px; padding: 12px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 10px; margin-bottom: 12px; }
h2 { font-size: 14px; margin: 0 0 8px; }
#picture { display: block; width: 100%; max-width: 420px; background: #eee; min-height: 64px; }
#pictureBox > * { flex: 1 1 220px; }
#pictureBox { display: flex; gap: 12px; flex-wrap: wrap; align-items: flex-start; }
#facts { font-variant-numeric: tabular-nums; }
#facts td:first-child, #terms td:first-child { color: var(--muted); padding-right: 8px; }
table { border-collapse: collapse; }
#terms td { padding: 1px 6px 1px 0; font-variant-numeric: tabular-nums; }
#curve { width: 100%; height: 180px; display: block; }
#curve text { font-size: 10px; fill: var(--muted); }
.inspect img { max-width: 100%; display: block; margin-top: 8px; }
.sheet { max-height: 420px; overflow: auto; }
label { display: inline-flex; gap: 4px; align-items: center; margin: 2px 10px 2px 0; }
input[type=number] { width: 6.5em; }
input, select, button { font: inherit; }
button { padding: 4px 10px; border: 1px solid var(--accent); background: #fff; color: var(--accent); border-radius: 4px; cursor: pointer; }
button.primary { background: var(--accent); color: #fff; }
button.stop { border-color: var(--bad); color: var(--bad); }
.row { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin: 6px 0; }
#messages { max-height: 140px; overflow: auto; font-size: 12px; color: var(--muted); margin: 0; padding-left: 16px; }
#messages li.bad { color: var(--bad); }
.control { display: grid; grid-template-columns: 7.5em minmax(0, 1fr) 6.5em; gap: 6px; align-items: center; margin: 3px 0; }
.control span { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.control input[type=range] { width: 100%; min-width: 0; margin: 0; }
.control input[type=number] { width: 100%; }
.control select { grid-column: 2 / 4; width: 100%; }
.hint { color: var(--muted); font-size: 12px; margin: 4px 0; }
@media (max-width: 760px) {
  main { grid-template-columns: 1fr; padding: 6px; gap: 6px; }
  #curve { height: 140px; }
}
</style>
</head>
<body>
<header><h1>stylize studio</h1><span id="status">connecting…</span></header>
<main>
<div>
  <section>
    <div id="pictureBox">
      <img id="picture" alt="the current picture">
      <table id="facts"><tbody>
        <tr><td>run</td><td id="factRun">–</td></tr>
        <tr><td>scale</td><td id="factScale">–</td></tr>
        <tr><td>tile</td><td id="factTile">–</td></tr>
        <tr><td>step</td><td id="factStep">–</td></tr>
        <tr><td>evaluations</td><td id="factEvals">–</td></tr>
        <tr><td>evals/s</td><td id="factSpeed">–</td></tr>
        <tr><td>time left</td><td id="factLeft">–</td></tr>
        <tr><td>peak memory</td><td id="factMemory">–</td></tr>
      </tbody></table>
    </div>
  </section>
  <section>
    <h2>Loss against time</h2>
    <svg id="curve" viewBox="0 0 600 180" preserveAspectRatio="none" role="img" aria-label="loss against time"></svg>
    <table id="terms"><tbody></tbody></table>
  </section>
  <section class="inspect">
    <h2>Look inside</h2>
    <div class="row">
      <button id="gramButton">Gram matrices</button>
      <label><input type="checkbox" id="gramAuto"> every <input type="number" id="gramEvery" value="10" min="1" max="1000" style="width:4em"> steps</label>
    </div>
    <div class="sheet"><img id="grams" alt="" hidden></div>
    <div class="row">
      <select id="featureLayer" aria-label="layer"></select>
      <button id="featureButton">Feature maps (5×8)</button>
    </div>
    <div class="sheet"><img id="features" alt="" hidden></div>
  </section>
</div>
<div>
  <section>
    <h2>Settings</h2>
    <div id="controls"></div>
    <div class="control"><span>colour</span><select id="color" aria-label="colour mode">
      <option value="style">style: the painting's</option><option value="keep">keep: the photo's</option>
      <option value="match">match: painting matched to photo</option><option value="match-cholesky">match-cholesky</option>
    </select></div>
    <p class="hint">A slider or the colour applies when let go; a field with Enter or the button. The run continues from the current picture.</p>
    <div class="row">
      <button class="primary" id="applyButton">Apply and continue</button>
      <button class="stop" id="stopButton">Stop</button>
    </div>
    <div class="row">
      <input id="presetName" placeholder="preset name" aria-label="preset name" size="14">
      <button id="saveButton">Save preset</button>
    </div>
  </section>
  <section id="startBox">
    <h2>Start a run</h2>
    <div class="row">
      <label>photo <select id="content"></select></label>
      <label>style <select id="style"></select></label>
    </div>
    <div class="row">
      <label>preset <select id="preset"></select></label>
      <label>size <input type="number" id="size" value="256" min="32" max="1024"></label>
      <label>evaluations <input type="number" id="iterations" value="100" min="1" max="2000"></label>
    </div>
    <div class="row"><button class="primary" id="startButton">Start</button></div>
    <div class="row">
      <input type="file" id="upload" accept="image/png,image/jpeg" aria-label="upload an image">
      <button id="uploadButton">Upload</button>
    </div>
    <h2>Queue</h2>
    <ol id="queue"></ol>
  </section>
  <section>
    <h2>Messages</h2>
    <ul id="messages"></ul>
  </section>
</div>
</main>
<script>
"use strict";
const $ = id => document.getElementById(id);
// Everything the page knows, also for the browser tests: the run, its step records (the --log lines) in order.
const studio = window.studio = { run: null, segments: [], records: [], ends: [], images: 0, gramsLoaded: 0, featuresLoaded: 0, state: null };
let imageBusy = false, imageWanted = false, lastGramStep = -1;

function say(text, bad) {
  const li = document.createElement("li");
  li.textContent = new Date().toLocaleTimeString() + "  " + text;
  if (bad) li.className = "bad";
  $("messages").prepend(li);
}
function num(v, digits) { return (typeof v === "number" && isFinite(v)) ? Number(v.toPrecision(digits || 4)).toString() : String(v); }
function duration(s) {
  if (!isFinite(s) || s < 0) return "–";
  s = Math.round(s);
  return s >= 60 ? Math.floor(s / 60) + "m" + String(s % 60).padStart(2, "0") + "s" : s + "s";
}
function mib(b) { return b > 0 ? (b / 1048576).toFixed(0) + " MiB" : "–"; }

async function call(method, path, body, raw) {
  const options = { method: method, headers: {} };
  if (body !== undefined) {
    if (raw) { options.body = body; } else { options.body = JSON.stringify(body); options.headers["Content-Type"] = "application/json"; }
  }
  const response = await fetch(path, options);
  let answer = {};
  try { answer = await response.json(); } catch (e) {}
  if (!response.ok) throw new Error(answer.error || (response.status + " " + response.statusText));
  return answer;
}

function setRun(run) {
  const first = !studio.run || studio.run.id !== run.id;
  studio.run = run;
  if (first) { studio.records = []; studio.segments = []; lastGramStep = -1; }
  studio.segments[run.segment] = run;
  $("factRun").textContent = run.id + ": " + run.content + " × " + run.style + " (" + run.preset + (run.segment ? ", changed " + run.segment + "×" : "") + ")";
  if (first) buildControls(run);
  setControls(run);
  document.title = "stylize studio: " + run.content + " × " + run.style;
}

function onStep(event) {
  studio.records.push(event);
  schedulePaint();
  const r = event.record;
  if ($("gramAuto").checked && r.iteration - lastGramStep >= Math.max(1, +$("gramEvery").value || 10)) loadGrams(true);
}

// The newest step's facts and terms, drawn with the curve and the picture (`paint`).
function drawFacts(event) {
  const r = event.record, run = studio.run;
  $("factScale").textContent = r.scale + (run ? "/" + run.scales.length : "") + "  " + r.width + "×" + r.height;
  const tile = run && run.scales.find(s => s.width === r.width && s.height === r.height);
  $("factTile").textContent = tile && tile.tile ? tile.tile + " px" : "whole image";
  $("factStep").textContent = r.iteration;
  $("factEvals").textContent = r.evaluations + " / " + event.budget;
  const speed = r.seconds > 0 ? r.evaluations / r.seconds : 0;
  $("factSpeed").textContent = speed > 0 ? speed.toFixed(2) : "–";
  $("factLeft").textContent = speed > 0 ? duration((event.budget - r.evaluations) / speed) : "–";
  $("factMemory").textContent = mib(event.peak_rss) + (run ? " (planned " + mib(run.memoryBytes) + ")" : "");
  $("status").textContent = "running: step " + r.iteration + ", loss " + num(r.total);
  drawTerms(r);
}

function drawTerms(r) {
  const rows = [["total", r.total], ["content", r.content], ["style", r.style], ["tv", r.tv]];
  for (const k of ["color", "temporal"]) if (k in r) rows.push([k, r[k]]);
  const layers = studio.run ? studio.run.layers : Object.keys(r.style_layers).sort();
  for (const l of layers) if (l in r.style_layers) rows.push(["  " + l, r.style_layers[l]]);
  const body = $("terms").tBodies[0];
  body.textContent = "";
  for (const [name, value] of rows) {
    const tr = body.insertRow();
    tr.insertCell().textContent = name;
    const td = tr.insertCell();
    td.textContent = num(value);
    td.dataset.term = name.trim();
  }
}

const curveColors = { total: "#1d1d1f", content: "#3556c9", style: "#c93535", tv: "#2e8b57" };
function drawCurve() {
  const svg = $("curve"), W = 600, H = 180, pad = 28;
  const points = studio.records.map(e => [e.time, e.record]);
  if (points.length < 1) { svg.innerHTML = ""; return; }
  const t1 = Math.max(1e-9, points[points.length - 1][0]);
  let lo = Infinity, hi = -Infinity;
  for (const [, r] of points) for (const k of ["total", "content", "style", "tv"]) {
    const v = r[k];
    if (v > 0 && isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  }
  if (!isFinite(lo)) { svg.innerHTML = ""; return; }
  const l0 = Math.log10(lo), l1 = Math.max(Math.log10(hi), l0 + 1e-6);
  const x = t => pad + (W - pad - 6) * t / t1, y = v => 6 + (H - pad - 6) * (1 - (Math.log10(v) - l0) / (l1 - l0));
  let out = '<line x1="' + pad + '" y1="' + (H - pad) + '" x2="' + W + '" y2="' + (H - pad) + '" stroke="#d8d8dc"/>';
  for (const k of ["tv", "content", "style", "total"]) {
    const d = points.filter(([, r]) => r[k] > 0 && isFinite(r[k])).map(([t, r], i) => (i ? "L" : "M") + x(t).toFixed(1) + "," + y(r[k]).toFixed(1)).join("");
    out += '<path d="' + d + '" fill="none" stroke="' + curveColors[k] + '" stroke-width="' + (k === "total" ? 2 : 1.2) + '" vector-effect="non-scaling-stroke"/>';
  }
  out += '<text x="2" y="12">' + num(hi, 3) + '</text><text x="2" y="' + (H - pad) + '">' + num(lo, 3) + '</text>';
  out += '<text x="' + (W - 60) + '" y="' + (H - 8) + '">' + duration(t1) + '</text><text x="' + pad + '" y="' + (H - 8) + '">0 s</text>';
  let lx = pad + 60;
  for (const k of ["total", "content", "style", "tv"]) { out += '<text x="' + lx + '" y="' + (H - 8) + '" style="fill:' + curveColors[k] + '">' + k + '</text>'; lx += 60; }
  svg.innerHTML = out;
}

// The picture is asked for only when the page can show it: one request at a time, the newest step's.
// The facts, the terms, the curve and the picture at most twice a second, the last state always: a small run steps
// ten times a second, and on a 2-core machine each new picture the browser fetches, decodes and lays out takes its
// time from the run (four a second cost a 128 px run about 9% of its speed, two a second within 5%: README, Studio).
const paintEvery = 500;   // ms
let lastPaint = 0, paintTimer = null;
function schedulePaint() {
  const wait = paintEvery - (Date.now() - lastPaint);
  if (wait <= 0) { paint(); return; }
  if (!paintTimer) paintTimer = setTimeout(() => { paintTimer = null; paint(); }, wait);
}
function paint() {
  lastPaint = Date.now();
  const last = studio.records[studio.records.length - 1];
  if (last) drawFacts(last);
  drawCurve();
  wantImage();
}

function wantImage() {
  imageWanted = true;
  if (imageBusy) return;
  imageBusy = true; imageWanted = false;
  const img = $("picture");
  img.onload = () => { studio.images++; imageBusy = false; if (imageWanted) wantImage(); };
  img.onerror = () => { imageBusy = false; };
  img.src = "/api/image?n=" + Date.now();
}

function loadInspect(id, url, counter) {
  const img = $(id);
  img.onload = () => { img.hidden = false; studio[counter]++; };
  img.onerror = () => say(id === "grams" ? "no Gram matrices yet (no run has made a step)" : "no feature maps yet", true);
  img.src = url + (url.includes("?") ? "&" : "?") + "n=" + Date.now();
}
let gramKey = "";
async function loadGrams(auto) {
  const last = studio.records[studio.records.length - 1];
  lastGramStep = last ? last.record.iteration : 0;
  if (auto !== true) { gramKey = ""; loadInspect("grams", "/api/grams.png", "gramsLoaded"); return; }
  // An automatic refresh gets the last sheet again while a new one is not due (the server keeps drawing to a small
  // share of the time), and nothing (204) when the page shows that sheet already.
  try {
    const r = await fetch("/api/grams.png?auto=1&have=" + encodeURIComponent(gramKey));
    if (r.status !== 200) return;
    gramKey = r.headers.get("X-Sheet") || "";
    const img = $("grams"), url = URL.createObjectURL(await r.blob());
    img.onload = () => { img.hidden = false; studio.gramsLoaded++; URL.revokeObjectURL(url); };
    img.onerror = () => URL.revokeObjectURL(url);
    img.src = url;
  } catch (e) { /* the next step asks again */ }
}

// The controls: a slider and a number field for each weight, the style scale and the size, kept in sync. A weight's
// slider is logarithmic (weights span decades): its value is log10 of the weight over `weightDecades` each side of
// the run's first value, the leftmost position 0 (the term or layer off). The style scale's is logarithmic over
// 0.1...8 (its limit), the size's linear over 32...1024 (the sizes the studio runs).
const weightDecades = 4, maxWeightLog = 6;   // 10^6: the largest weight the studio accepts
const controls = {};
function logKind(lo, hi, zero) {
  return {
    min: lo, max: hi, step: 0.01,
    toSlider: v => (zero && !(v > 0)) ? lo : Math.min(hi, Math.max(lo, Math.log10(v))),
    fromSlider: s => (zero && s <= lo) ? 0 : Number(Math.pow(10, s).toPrecision(3))
  };
}
function weightKind(v) {
  const c = v > 0 ? Math.round(Math.log10(v)) : 0;
  return logKind(c - weightDecades, Math.min(maxWeightLog, c + weightDecades), true);
}
const sizeKind = { min: 32, max: 1024, step: 8, toSlider: v => v, fromSlider: s => Number(s) };
function addControl(key, label, kind) {
  const row = document.createElement("div");
  row.className = "control";
  const name = document.createElement("span");
  name.textContent = label; name.title = label;
  const slider = document.createElement("input");
  slider.type = "range"; slider.min = kind.min; slider.max = kind.max; slider.step = kind.step;
  slider.id = "s_" + key; slider.setAttribute("aria-label", label);
  const field = document.createElement("input");
  field.type = "number"; field.step = "any"; field.min = "0"; field.id = "f_" + key; field.setAttribute("aria-label", label);
  slider.oninput = () => { field.value = kind.fromSlider(Number(slider.value)); };
  slider.onchange = () => { field.value = kind.fromSlider(Number(slider.value)); applySettings(); };
  field.oninput = () => { if (field.value !== "" && isFinite(Number(field.value))) slider.value = kind.toSlider(Number(field.value)); };
  field.onkeydown = e => { if (e.key === "Enter") applySettings(); };
  row.append(name, slider, field);
  $("controls").append(row);
  controls[key] = { slider: slider, field: field, kind: kind };
}
function buildControls(run) {
  $("controls").textContent = "";
  for (const k of Object.keys(controls)) delete controls[k];
  addControl("content", "content", weightKind(run.weights.content));
  addControl("style", "style", weightKind(run.weights.style));
  addControl("tv", "tv", weightKind(run.weights.tv));
  for (const layer of run.layers) addControl("layer_" + layer, layer, weightKind(run.weights.layers[layer] ?? 0));
  addControl("styleScale", "style scale", logKind(-1, Math.log10(8), false));
  addControl("size", "size (px)", sizeKind);
}
function setControl(key, value) {
  const c = controls[key];
  c.field.value = value;
  c.slider.value = c.kind.toSlider(value);
}
function setControls(run) {
  setControl("content", run.weights.content);
  setControl("style", run.weights.style);
  setControl("tv", run.weights.tv);
  for (const layer of run.layers) setControl("layer_" + layer, run.weights.layers[layer] ?? 0);
  setControl("styleScale", run.styleScale);
  setControl("size", run.size);
  $("color").value = run.color;
}
function value(key) { return Number(controls[key].field.value); }
function weights() {
  const layers = {};
  for (const layer of studio.run ? studio.run.layers : []) layers[layer] = value("layer_" + layer);
  return { content: value("content"), style: value("style"), tv: value("tv"), layers: layers };
}
function settings() {
  return { weights: weights(), styleScale: value("styleScale"), color: $("color").value, size: value("size") };
}
function applySettings() {
  if (!studio.run) return say("no run to change", true);
  call("POST", "/api/settings", settings()).then(() => say("new settings: continuing from the current picture")).catch(e => say(e.message, true));
}
$("color").onchange = applySettings;

$("applyButton").onclick = applySettings;
$("stopButton").onclick = () => call("POST", "/api/stop").then(() => say("stopping after this step")).catch(e => say(e.message, true));
$("saveButton").onclick = () => {
  const name = $("presetName").value.trim();
  if (!name) return say("give the preset a name", true);
  call("POST", "/api/preset", { name: name, weights: weights() }).then(a => say("preset saved: " + a.path + " (use --preset " + a.name + ")")).catch(e => say(e.message, true));
};
$("gramButton").onclick = () => loadGrams(false);
$("featureButton").onclick = () => loadInspect("features", "/api/features.png?layer=" + encodeURIComponent($("featureLayer").value), "featuresLoaded");
$("startButton").onclick = () => call("POST", "/api/runs", {
  content: $("content").value, style: $("style").value, preset: $("preset").value || null,
  size: Number($("size").value), iterations: Number($("iterations").value)
}).then(job => say("run " + job.id + " queued: " + job.content + " × " + job.style)).catch(e => say(e.message, true));
$("uploadButton").onclick = () => {
  const file = $("upload").files[0];
  if (!file) return say("choose a PNG or JPEG file first", true);
  call("PUT", "/api/upload?name=" + encodeURIComponent(file.name), file, true).then(a => { say("uploaded " + a.name); refresh(); }).catch(e => say(e.message, true));
};

function fill(select, names, keep) {
  const old = select.value;
  select.textContent = "";
  for (const n of names) { const o = document.createElement("option"); o.value = o.textContent = n; select.append(o); }
  if (keep && names.includes(old)) select.value = old;
}
async function refresh() {
  try {
    const s = studio.state = await call("GET", "/api/state");
    $("startBox").hidden = !s.canStart;
    fill($("content"), s.images, true);
    fill($("style"), s.images, true);
    fill($("preset"), s.presets, true);
    if (s.featureLayers.length) fill($("featureLayer"), s.featureLayers, true);
    if (!$("preset").value && s.presets.includes("default")) $("preset").value = "default";
  } catch (e) { say(e.message, true); }
}
function showQueue(jobs) {
  const list = $("queue");
  list.textContent = "";
  for (const j of jobs) { const li = document.createElement("li"); li.textContent = j.content + " × " + j.style + " (" + j.size + " px, " + j.iterations + ")"; list.append(li); }
  if (!jobs.length) { const li = document.createElement("li"); li.textContent = "empty"; li.style.listStyle = "none"; list.append(li); }
}

const events = new EventSource("/api/events");
events.onopen = () => { if (!studio.run) $("status").textContent = "connected: no run yet"; };
events.onerror = () => { $("status").textContent = "disconnected; retrying…"; };
events.addEventListener("run", m => { setRun(JSON.parse(m.data)); $("status").textContent = "run " + studio.run.id + " started"; refresh(); });
events.addEventListener("step", m => onStep(JSON.parse(m.data)));
events.addEventListener("end", m => {
  const e = JSON.parse(m.data);
  studio.ends.push(e);
  $("status").textContent = e.failed ? "failed" : "finished";
  say(e.message, e.failed);
  wantImage();
});
events.addEventListener("queue", m => showQueue(JSON.parse(m.data)));
events.addEventListener("note", m => say(JSON.parse(m.data).message));
refresh();
</script>
</body>
</html>
"""#
}
