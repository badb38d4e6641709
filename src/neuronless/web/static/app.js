// The neuronless playground page. It only draws: the server owns the session, the network and
// the training thread (docs/playground-api.md) and streams snapshots over Server-Sent Events.
// Drawing is throttled to requestAnimationFrame: a snapshot marks the page dirty, the next
// animation frame draws it once. window.playground.frames counts frames drawn.
"use strict";

(() => {
  const URL_KEYS = ["dataset", "noise", "train_fraction", "n", "layers", "activations", "loss", "optimizer",
    "learning_rate", "batch_size", "l2", "schedule", "seed", "grid", "plane", "hide"];
  const LIST_KEYS = new Set(["layers", "activations", "hide", "plane"]);
  const NULLABLE = new Set(["loss", "schedule"]);
  const POS = [224, 123, 0], NEG = [31, 111, 178], MID = [245, 245, 245];
  const PALETTE = ["#1f6fb2", "#e07b00", "#2a9d3a", "#c0392b", "#8e44ad", "#7f6000", "#d35fb7", "#555"];
  const NODE = 34;

  const $ = (id) => document.getElementById(id);
  const pg = { frames: 0, snapshots: 0, received: 0, sid: null, config: null, state: null, caps: {}, builtin: [], ready: false };
  window.playground = pg;
  let dirty = false, layoutKey = "", selected = null, selectedEdge = null, source = null;
  let layout = null;

  // ---------- talking to the server ----------
  let said = ""; // the last error from a request; a diverging run's message comes with the state
  function showMessage(text) {
    said = text || "";
    renderMessage();
  }
  function renderMessage() {
    const text = (pg.state && pg.state.message) || said;
    const box = $("message");
    if (box.textContent !== text) box.textContent = text;
    box.hidden = !text;
  }
  async function api(method, path, body) {
    const opts = { method, headers: {} };
    if (body instanceof FormData) opts.body = body;
    else if (body !== undefined) { opts.body = JSON.stringify(body); opts.headers["Content-Type"] = "application/json"; }
    let res;
    try { res = await fetch(path, opts); } catch (e) { showMessage("The server does not answer: " + e.message); return null; }
    let data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    if (!res.ok) {
      showMessage((data && data.error) || `${method} ${path} failed with status ${res.status}.`);
      return null;
    }
    return data;
  }
  const sidPath = (p) => `/api/${pg.sid}/${p}`;

  function take(data) {
    if (!data) return;
    if (data.config) applyConfig(data.config);
    if (data.state) takeState(data.state);
  }
  function takeState(s) {
    pg.state = s;
    pg.snapshots += 1;
    dirty = true;
  }
  // Snapshots from the stream can arrive in bursts; each animation frame draws the oldest
  // waiting one, and at most two wait, so the picture never lags more than two frames behind.
  const queue = [];
  function queueState(s) {
    pg.received += 1;
    queue.push(s);
    if (queue.length > 2) queue.shift();
  }

  async function setConfig(part) {
    const data = await api("POST", sidPath("config"), part);
    if (data) { showMessage(""); take(data); }
  }

  // ---------- choices from the server's caps ----------
  function choices(name) { // the lists GET /api/datasets sends under caps
    const v = (pg.caps || {})[name];
    return Array.isArray(v) ? v.map(String) : [];
  }
  function fillSelect(sel, items, withDefault) {
    sel.textContent = "";
    if (withDefault) sel.append(new Option(withDefault, ""));
    for (const it of items) sel.append(new Option(it, it));
  }

  // ---------- controls <- config ----------
  function applyConfig(c) {
    pg.config = c;
    $("optimizer").value = c.optimizer ?? "";
    $("learning_rate").value = c.learning_rate ?? "";
    $("batch_size").value = c.batch_size ?? "";
    $("l2").value = c.l2 ?? 0;
    $("schedule").value = c.schedule ?? "";
    const rateless = choices("rateless").includes(c.optimizer); // Rprop, SARPROP: a step per weight
    for (const id of ["learning_rate", "schedule"]) {
      $(id).disabled = rateless;
      $(id).title = rateless ? `${c.optimizer} adapts a step size per weight: it has no learning rate or schedule` : "";
    }
    const ownBatch = choices("own_batch").includes(c.optimizer); // FANN's incremental (1) and batch (all)
    $("batch_size").disabled = ownBatch;
    $("batch_size").title = ownBatch ? `FANN's ${c.optimizer} mode trains on ${c.optimizer === "batch" ? "every training row" : "one row"} at a time` : "";
    $("loss").value = c.loss ?? "";
    $("seed").value = c.seed ?? 0;
    $("noise").value = c.noise ?? 0; $("noise-out").textContent = Number(c.noise ?? 0).toFixed(2);
    $("train_fraction").value = c.train_fraction ?? 0.7;
    $("train-out").textContent = Math.round(100 * (c.train_fraction ?? 0.7)) + " %";
    $("n").value = c.n ?? "";
    for (const b of $("datasets").querySelectorAll("button")) b.classList.toggle("on", b.dataset.name === c.dataset);
    const builtin = pg.builtin.includes(c.dataset);
    $("ex-x").parentElement.hidden = !builtin; $("ex-y").parentElement.hidden = !builtin;
    $("ex-row-label").hidden = builtin;
    buildLayerControls();
    applyHide(c.hide || []);
    updateURL();
    updateExports();
  }
  function applyHide(hide) {
    for (const el of document.querySelectorAll(".hidden-ctl")) el.classList.remove("hidden-ctl");
    for (const name of hide) for (const el of document.querySelectorAll(`[data-ctl="${CSS.escape(name)}"]`)) el.classList.add("hidden-ctl");
  }
  function buildLayerControls() {
    const c = pg.config, box = $("layer-controls");
    box.textContent = "";
    const acts = choices("activations");
    const cols = (c.layers || []).length + 2;
    const spacer = () => { const d = document.createElement("div"); d.className = "lc"; return d; };
    box.append(spacer());
    (c.layers || []).forEach((units, k) => {
      const d = document.createElement("div"); d.className = "lc"; d.dataset.layer = k;
      const row = document.createElement("span");
      const minus = document.createElement("button"); minus.textContent = "\u2212"; minus.className = "units-minus"; minus.title = "One unit fewer";
      const plus = document.createElement("button"); plus.textContent = "+"; plus.className = "units-plus"; plus.title = "One unit more";
      const lab = document.createElement("span"); lab.textContent = ` ${units} `;
      minus.onclick = () => { if (units > 1) { const l = c.layers.slice(); l[k] = units - 1; setConfig({ layers: l }); } };
      plus.onclick = () => { if (units >= (pg.caps.max_units || 32)) return; const l = c.layers.slice(); l[k] = units + 1; setConfig({ layers: l }); };
      row.append(minus, lab, plus);
      const sel = document.createElement("select"); sel.className = "activation"; sel.title = `activation of hidden layer ${k + 1}`;
      fillSelect(sel, acts);
      sel.value = (c.activations || [])[k] || acts[0];
      sel.onchange = () => { const a = (c.activations || c.layers.map(() => acts[0])).slice(); a[k] = sel.value; setConfig({ activations: a }); };
      d.append(row, sel);
      box.append(d);
    });
    box.append(spacer());
    box.dataset.cols = cols;
  }

  // ---------- the shareable URL ----------
  function configToParams(c) {
    const p = new URLSearchParams();
    for (const k of URL_KEYS) {
      const v = c[k];
      if (v === undefined) continue;
      if (Array.isArray(v)) { if (k === "hide" && !v.length) continue; p.set(k, v.join(",")); }
      else p.set(k, v === null ? "" : String(v));
    }
    return p;
  }
  function paramsToConfig(p) {
    const c = {};
    for (const k of URL_KEYS) {
      if (!p.has(k)) continue;
      const raw = p.get(k);
      if (LIST_KEYS.has(k)) {
        const items = raw === "" ? [] : raw.split(",").map((s) => s.trim()).filter(Boolean);
        c[k] = k === "layers" || k === "plane" ? items.map(Number) : items;
      } else if (NULLABLE.has(k)) c[k] = raw === "" ? null : raw;
      else if (k === "dataset" || k === "optimizer") c[k] = raw;
      else c[k] = Number(raw);
    }
    return c;
  }
  function updateURL() {
    if (!pg.config) return;
    const q = configToParams(pg.config).toString();
    history.replaceState(null, "", `${location.pathname}?${q}`);
  }
  function updateExports() {
    for (const fmt of ["nless", "net", "onnx", "py"]) $("export-" + fmt).href = sidPath("export/" + fmt);
  }

  // ---------- colours ----------
  function mix(v) { // v in [-1, 1] -> rgb
    const t = Math.max(-1, Math.min(1, Number.isFinite(v) ? v : 0));
    const c = t >= 0 ? POS : NEG, a = Math.abs(t);
    return [MID[0] + (c[0] - MID[0]) * a, MID[1] + (c[1] - MID[1]) * a, MID[2] + (c[2] - MID[2]) * a];
  }

  // grid value at column i (x, left to right) and row j (y, top = ymax) of a size x size grid
  // listed row by row from ymin upwards.
  function paintGrid(ctx, values, size, toColor) {
    const img = ctx.createImageData(size, size);
    for (let j = 0; j < size; j++) {
      const src = (size - 1 - j) * size;
      for (let i = 0; i < size; i++) {
        const [r, g, b] = toColor(values[src + i]);
        const o = 4 * (j * size + i);
        img.data[o] = r; img.data[o + 1] = g; img.data[o + 2] = b; img.data[o + 3] = 255;
      }
    }
    ctx.putImageData(img, 0, 0);
  }

  // ---------- the network diagram ----------
  function buildDiagram(sizes) {
    const box = $("diagram");
    box.textContent = "";
    const width = Math.max(300, box.clientWidth || 500);
    const maxUnits = Math.max(...sizes);
    const gap = Math.max(8, Math.min(20, (420 - maxUnits * NODE) / Math.max(1, maxUnits)));
    const height = Math.max(200, maxUnits * (NODE + gap) + 10);
    box.style.height = height + "px";
    const names = (pg.state && pg.state.inputs) || (sizes[0] === 2 ? ["x\u2081", "x\u2082"] : null);
    const longest = names ? Math.max(0, ...names.map((n) => Math.min(14, n.length))) : 0;
    const margin = Math.max(40, 12 + 6 * longest);
    const xs = sizes.map((_, L) => margin + (L * (width - 2 * margin - NODE)) / Math.max(1, sizes.length - 1));
    const pos = sizes.map((n, L) => Array.from({ length: n }, (_, u) => ({
      x: xs[L], y: (height - n * (NODE + gap) + gap) / 2 + u * (NODE + gap),
    })));
    const svgNS = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(svgNS, "svg");
    svg.setAttribute("width", width); svg.setAttribute("height", height);
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    box.append(svg);
    const edges = [];
    for (let L = 1; L < sizes.length; L++) {
      for (let u = 0; u < sizes[L]; u++) {
        for (let i = 0; i < sizes[L - 1]; i++) {
          const a = pos[L - 1][i], b = pos[L][u];
          const x1 = a.x + NODE, y1 = a.y + NODE / 2, x2 = b.x, y2 = b.y + NODE / 2, mx = (x1 + x2) / 2;
          const path = document.createElementNS(svgNS, "path");
          path.setAttribute("d", `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`);
          path.setAttribute("class", "w");
          path.dataset.layer = L - 1; path.dataset.row = i; path.dataset.col = u;
          path.addEventListener("click", () => selectEdge(L - 1, i, u));
          svg.append(path);
          edges.push({ path, layer: L - 1, row: i, col: u });
        }
      }
    }
    const units = [];
    const gsize = (pg.state && pg.state.grid && pg.state.grid.size) || 40;
    sizes.forEach((n, L) => {
      units.push([]);
      for (let u = 0; u < n; u++) {
        const cv = document.createElement("canvas");
        cv.width = gsize; cv.height = gsize; cv.className = "unit";
        cv.style.left = pos[L][u].x + "px"; cv.style.top = pos[L][u].y + "px";
        cv.style.width = NODE + "px"; cv.style.height = NODE + "px";
        cv.dataset.layer = L; cv.dataset.unit = u;
        cv.addEventListener("mouseenter", () => { if (!selected) showUnit(L, u); });
        cv.addEventListener("mouseleave", () => { if (!selected) $("unit-info").textContent = "Hover or click a unit to see its incoming weights and bias; click an arrow to edit its weight."; });
        cv.addEventListener("click", () => { selected = selected && selected.L === L && selected.u === u ? null : { L, u }; markSelected(); if (selected) showUnit(L, u); });
        box.append(cv);
        units[L].push(cv);
      }
    });
    if (names) names.slice(0, sizes[0]).forEach((name, i) => {
      const s = document.createElement("span"); s.className = "lbl"; s.textContent = name.length > 14 ? name.slice(0, 13) + "\u2026" : name; s.title = name;
      s.style.left = pos[0][i].x + "px"; s.style.top = pos[0][i].y + NODE / 2 + "px"; box.append(s);
    });
    layout = { sizes, edges, units, gsize };
    markSelected();
  }
  function markSelected() {
    if (!layout) return;
    layout.units.flat().forEach((cv) => cv.classList.toggle("sel", !!selected && +cv.dataset.layer === selected.L && +cv.dataset.unit === selected.u));
    for (const e of layout.edges) e.path.classList.toggle("sel", !!selectedEdge && e.layer === selectedEdge.layer && e.row === selectedEdge.row && e.col === selectedEdge.col);
  }
  const fmt = (v) => (Number.isFinite(v) ? (Math.abs(v) >= 1000 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(2) : v.toFixed(3)) : String(v));
  function showUnit(L, u) {
    const s = pg.state, info = $("unit-info");
    if (!s) return;
    if (L === 0) { info.textContent = `Input ${u + 1}: the ${u === 0 ? "horizontal" : u === 1 ? "vertical" : ""} coordinate of each point, scaled.`; return; }
    const W = s.weights[L - 1], nIn = s.sizes[L - 1];
    const row = [];
    for (let i = 0; i < nIn; i++) row.push(fmt(W[i][u]));
    const kind = L === s.sizes.length - 1 ? "output unit" : `layer ${L} unit`;
    info.innerHTML = "";
    const b = document.createElement("b"); b.textContent = `${kind} ${u + 1}`;
    info.append(b, ` \u2014 incoming weights (column ${u} of weights[${L - 1}]): [${row.join(", ")}], bias ${fmt(W[nIn][u])}`);
    info.dataset.layer = L; info.dataset.unit = u;
    info.dataset.column = JSON.stringify(W.map((r) => r[u]));
  }
  function selectEdge(layer, row, col) {
    selectedEdge = { layer, row, col };
    markSelected();
    const v = pg.state.weights[layer][row][col];
    $("weight-label").textContent = `weights[${layer}][${row}, ${col}] (input ${row + 1} \u2192 unit ${col + 1} of layer ${layer + 1})`;
    $("weight-value").value = v;
    $("weight-editor").hidden = false;
  }
  function drawDiagram(s) {
    const key = s.sizes.join("-") + ":" + (($("diagram").clientWidth / 40) | 0);
    if (key !== layoutKey || !layout) { layoutKey = key; buildDiagram(s.sizes); }
    let maxAbs = 0;
    for (const W of s.weights) for (const r of W) for (const v of r) if (Number.isFinite(v)) maxAbs = Math.max(maxAbs, Math.abs(v));
    const scale = 6 / Math.max(1, maxAbs);
    for (const e of layout.edges) {
      const v = s.weights[e.layer][e.row][e.col];
      e.path.setAttribute("stroke", v >= 0 ? "rgb(224,123,0)" : "rgb(31,111,178)");
      e.path.setAttribute("stroke-width", Math.max(0.4, Math.min(8, Math.abs(v) * scale)).toFixed(2));
      e.path.setAttribute("stroke-opacity", (0.35 + 0.65 * Math.min(1, Math.abs(v) / Math.max(1e-9, maxAbs))).toFixed(2));
    }
    const g = s.grid;
    if (!g) return;
    const units = g.units || [];
    const offset = s.sizes.length - units.length;
    const size = g.size;
    for (let L = 0; L < s.sizes.length; L++) {
      for (let u = 0; u < s.sizes[L]; u++) {
        const cv = layout.units[L][u];
        if (cv.width !== size) { cv.width = size; cv.height = size; }
        const ctx = cv.getContext("2d");
        const packed = L - offset >= 0 ? units[L - offset] && units[L - offset][u] : null;
        let vals = packed ? unpack(packed) : null;
        if (!vals && L === 0) vals = inputPlane(size, u, (pg.config && pg.config.plane) || [0, 1]);
        if (!vals) continue;
        let m = 0;
        for (const v of vals) if (Number.isFinite(v)) m = Math.max(m, Math.abs(v));
        m = Math.max(m, 1e-9);
        const norm = m > 1 ? m : 1;
        paintGrid(ctx, vals, size, (v) => mix(v / norm));
      }
    }
  }
  function unpack(h) { // a unit's heatmap: signed bytes (base64), value = q / 127 * scale
    const bytes = atob(h.q), out = new Float32Array(bytes.length), k = h.scale / 127;
    for (let i = 0; i < bytes.length; i++) { const q = bytes.charCodeAt(i); out[i] = (q > 127 ? q - 256 : q) * k; }
    return out;
  }
  const planeCache = {};
  function inputPlane(size, u, plane) {
    const key = size + ":" + u + ":" + plane.join(",");
    if (!planeCache[key]) {
      const a = new Array(size * size);
      for (let j = 0; j < size; j++) for (let i = 0; i < size; i++) a[j * size + i] = u === plane[0] ? (2 * i) / (size - 1) - 1 : u === plane[1] ? (2 * j) / (size - 1) - 1 : 0;
      planeCache[key] = a;
    }
    return planeCache[key];
  }

  // ---------- the output plane ----------
  const off = document.createElement("canvas");
  function outputRange(s) {
    if (s.task === "classification") return null;
    let lo = Infinity, hi = -Infinity;
    for (const set of ["train", "test"]) for (const p of (s.points && s.points[set]) || []) { lo = Math.min(lo, p[2]); hi = Math.max(hi, p[2]); }
    if (!Number.isFinite(lo)) { lo = -1; hi = 1; }
    return [lo, hi === lo ? lo + 1 : hi];
  }
  function valueColor(s, range, v) {
    if (Array.isArray(v)) { // class probabilities
      let k = 0; for (let i = 1; i < v.length; i++) if (v[i] > v[k]) k = i;
      return hexRGB(PALETTE[k % PALETTE.length], $("discretize").checked ? 0.55 : 0.25 + 0.5 * v[k]);
    }
    if (!range) { const p = $("discretize").checked ? (v >= 0.5 ? 1 : 0) : v; return mix(2 * p - 1); }
    return mix((2 * (v - range[0])) / (range[1] - range[0]) - 1);
  }
  function hexRGB(h, a) {
    const n = parseInt(h.slice(1), 16), c = [(n >> 16) & 255, (n >> 8) & 255, n & 255];
    return [255 + (c[0] - 255) * a, 255 + (c[1] - 255) * a, 255 + (c[2] - 255) * a];
  }
  function pointColor(s, range, label) {
    if (!range) {
      const nOut = s.sizes[s.sizes.length - 1];
      if (nOut === 1) return label >= 0.5 ? "rgb(224,123,0)" : "rgb(31,111,178)";
      return PALETTE[(label | 0) % PALETTE.length];
    }
    const [r, g, b] = mix((2 * (label - range[0])) / (range[1] - range[0]) - 1);
    return `rgb(${r | 0},${g | 0},${b | 0})`;
  }
  function drawPlot(s) {
    const cv = $("plot"), ctx = cv.getContext("2d");
    const W = cv.width, H = cv.height;
    ctx.clearRect(0, 0, W, H);
    const g = s.grid;
    if (!g) { ctx.fillStyle = "#eee"; ctx.fillRect(0, 0, W, H); return; }
    const range = outputRange(s);
    const size = g.size;
    if (off.width !== size) { off.width = size; off.height = size; }
    paintGrid(off.getContext("2d"), g.output, size, (v) => valueColor(s, range, v));
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(off, 0, 0, W, H);
    const [x0, x1, y0, y1] = g.extent;
    const px = (x) => ((x - x0) / (x1 - x0)) * W, py = (y) => H - ((y - y0) / (y1 - y0)) * H;
    const sets = $("show-test").checked ? ["train", "test"] : ["train"];
    for (const set of sets) {
      for (const p of (s.points && s.points[set]) || []) {
        ctx.beginPath();
        ctx.arc(px(p[0]), py(p[1]), 3.2, 0, 2 * Math.PI);
        ctx.fillStyle = pointColor(s, range, p[2]);
        ctx.fill();
        ctx.lineWidth = set === "test" ? 1.6 : 0.8;
        ctx.strokeStyle = set === "test" ? "#000" : "#fff";
        ctx.stroke();
      }
    }
  }
  function drawCurve(s) {
    const cv = $("curve"), ctx = cv.getContext("2d");
    const w = cv.clientWidth || 320;
    if (cv.width !== w) cv.width = w;
    const W = cv.width, H = cv.height;
    ctx.clearRect(0, 0, W, H);
    const series = [[s.previous_test_loss || [], "rgba(0,0,0,.3)", 1.5], [s.train_loss || [], "#888", 1.5], [s.test_loss || [], "#111", 2]];
    let xmax = 1, ymax = -Infinity, ymin = Infinity;
    for (const [pts] of series) for (const [x, y] of pts) {
      if (x > xmax) xmax = x;
      if (Number.isFinite(y)) { ymax = Math.max(ymax, y); ymin = Math.min(ymin, y); }
    }
    if (!Number.isFinite(ymax)) { ymin = 0; ymax = 1; }
    ymin = Math.max(0, ymin - 0.1 * (ymax - ymin)); // from a little under the lowest loss
    if (ymax - ymin < 1e-9) ymax = ymin + 1;
    for (const [pts, color, lw] of series) {
      if (!pts.length) continue;
      ctx.beginPath(); ctx.strokeStyle = color; ctx.lineWidth = lw;
      let open = false; // a null (not finite) loss breaks the line
      for (const [x, y] of pts) {
        if (y == null) { open = false; continue; }
        const X = (x / xmax) * (W - 4) + 2, Y = H - 4 - ((Math.min(y, ymax) - ymin) / (ymax - ymin)) * (H - 10);
        if (open) ctx.lineTo(X, Y); else ctx.moveTo(X, Y);
        open = true;
      }
      ctx.stroke();
    }
    const last = (a) => (!a || !a.length ? "\u2013" : a[a.length - 1][1] == null ? "not finite" : fmt(a[a.length - 1][1]));
    $("train-loss").textContent = last(s.train_loss);
    $("test-loss").textContent = last(s.test_loss);
  }
  function drawMetrics(s) {
    const box = $("metrics"), m = s.metrics || {};
    box.textContent = "";
    const rows = [];
    for (const set of ["train", "test"]) {
      const part = m[set] || {};
      const bits = [];
      for (const [k, v] of Object.entries(part)) if (typeof v === "number" || v === null) bits.push(`${k === "r2" ? "R\u00b2" : k === "rmse" ? "RMSE" : k} ${v === null ? "not finite" : k === "accuracy" ? (100 * v).toFixed(1) + " %" : fmt(v)}`);
      if (bits.length) rows.push(`${set}: ${bits.join(", ")}`);
    }
    for (const r of rows) { const d = document.createElement("div"); d.textContent = r; box.append(d); }
    const conf = (m.test && m.test.confusion) || null;
    if (conf) {
      const cap = document.createElement("div"); cap.className = "caption"; cap.textContent = "test confusion matrix (rows: true, columns: predicted)";
      box.append(cap);
      const t = document.createElement("table"); t.className = "confusion";
      const labels = (m.test && m.test.labels) || conf.map((_, i) => String(i));
      const head = t.insertRow(); head.append(document.createElement("th"));
      for (const l of labels) { const th = document.createElement("th"); th.textContent = l; head.append(th); }
      conf.forEach((r, i) => {
        const tr = t.insertRow(); const th = document.createElement("th"); th.textContent = labels[i]; tr.append(th);
        r.forEach((v) => { const td = tr.insertCell(); td.textContent = v; });
      });
      box.append(t);
    }
  }
  function drawCounters(s) {
    $("epoch").textContent = s.epoch ?? 0;
    $("speed").textContent = s.running ? Math.round(s.speed || 0) : 0;
    $("sizes").textContent = (s.sizes || []).join("\u2013");
    const t = $("train");
    t.innerHTML = s.running ? "&#x275A;&#x275A; Pause" : "&#x25B6; Train";
    t.dataset.running = s.running ? "1" : "0";
    renderMessage();
  }

  function frame() {
    requestAnimationFrame(frame);
    if (queue.length) takeState(queue.shift());
    if (!dirty || !pg.state) return;
    dirty = false;
    const t0 = performance.now();
    const s = pg.state;
    drawCounters(s);
    drawDiagram(s);
    drawPlot(s);
    drawCurve(s);
    drawMetrics(s);
    if (selected) showUnit(selected.L, selected.u);
    pg.frames += 1;
    pg.drawMs = performance.now() - t0;
  }

  // ---------- the matrices ----------
  function matrixTable(name, arr) {
    const t = document.createElement("table"); t.className = "matrix"; t.dataset.name = name;
    const cap = t.createCaption(); cap.textContent = `${name} (${arr.shape.join("\u00d7") || "scalar"})`;
    let v = arr.values;
    if (!Array.isArray(v)) v = [[v]]; else if (!Array.isArray(v[0])) v = [v];
    const MAXR = 12, MAXC = 12;
    v.slice(0, MAXR).forEach((r) => {
      const tr = t.insertRow();
      const row = Array.isArray(r) ? r : [r];
      row.slice(0, MAXC).forEach((x) => { const td = tr.insertCell(); td.dataset.v = x; td.textContent = typeof x === "number" ? x.toFixed(4) : String(x); });
      if (row.length > MAXC) tr.insertCell().textContent = "\u2026";
    });
    if (v.length > MAXR) t.insertRow().insertCell().textContent = "\u22ee";
    return t;
  }
  async function explain() {
    const builtin = pg.builtin.includes(pg.config.dataset);
    const q = builtin ? `x=${encodeURIComponent($("ex-x").value)}&y=${encodeURIComponent($("ex-y").value)}` : `row=${encodeURIComponent($("ex-row").value)}`;
    const data = await api("GET", sidPath("explain?" + q));
    const box = $("steps");
    box.textContent = "";
    if (!data) return;
    data.steps.forEach((st, n) => {
      const d = document.createElement("div"); d.className = "step"; d.dataset.kind = st.kind; d.dataset.index = n;
      if (st.layer != null) d.dataset.layer = st.layer;
      const h = document.createElement("h4"); h.textContent = st.title;
      const f = document.createElement("div"); f.className = "formula"; f.textContent = st.formula;
      const w = document.createElement("div"); w.className = "words"; w.textContent = st.words;
      const arrs = document.createElement("div"); arrs.className = "arrays";
      for (const [name, a] of Object.entries(st.arrays || {})) arrs.append(matrixTable(name, a));
      d.append(h, f, w, arrs);
      box.append(d);
    });
    box.dataset.ready = String(Date.now());
  }

  // ---------- CSV upload ----------
  function csvHeader(text) {
    const line = text.split(/\r?\n/, 1)[0] || "";
    const out = []; let cur = "", q = false;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i];
      if (q) { if (ch === '"' && line[i + 1] === '"') { cur += '"'; i++; } else if (ch === '"') q = false; else cur += ch; }
      else if (ch === '"') q = true; else if (ch === ",") { out.push(cur.trim()); cur = ""; } else cur += ch;
    }
    out.push(cur.trim());
    return out.filter((s) => s !== "");
  }
  async function readHeader() {
    const f = $("csv").files[0];
    const sel = $("target");
    sel.textContent = "";
    $("upload").disabled = !f;
    if (!f) return;
    const text = await f.slice(0, 65536).text();
    const cols = csvHeader(text);
    fillSelect(sel, cols);
    sel.value = cols[cols.length - 1] || "";
  }
  async function upload() {
    const f = $("csv").files[0];
    if (!f) return;
    const form = new FormData();
    form.append("file", f, f.name);
    form.append("target", $("target").value);
    const data = await api("POST", sidPath("upload"), form);
    if (!data) return;
    showMessage("");
    take(data);
    const notes = $("notes"); notes.textContent = "";
    for (const n of data.notes || []) { const li = document.createElement("li"); li.textContent = n; notes.append(li); }
    notes.dataset.ready = "1";
  }

  // ---------- wiring ----------
  function wire() {
    $("train").onclick = () => (pg.state && pg.state.running ? api("POST", sidPath("pause")) : api("POST", sidPath("train"))).then((d) => {
      if (d && pg.state) { pg.state = { ...pg.state, running: d.running }; dirty = true; }
    });
    $("step").onclick = () => api("POST", sidPath("step")).then(take);
    $("reset").onclick = () => api("POST", sidPath("reset"), { keep_curve: $("keep-curve").checked }).then(take);
    const num = (id, key, parse = Number) => { $(id).onchange = () => { const v = $(id).value; if (v !== "") setConfig({ [key]: parse(v) }); }; };
    num("learning_rate", "learning_rate"); num("batch_size", "batch_size", (v) => parseInt(v, 10));
    num("l2", "l2"); num("seed", "seed", (v) => parseInt(v, 10)); num("n", "n", (v) => parseInt(v, 10));
    num("noise", "noise"); num("train_fraction", "train_fraction");
    $("noise").oninput = () => { $("noise-out").textContent = Number($("noise").value).toFixed(2); };
    $("train_fraction").oninput = () => { $("train-out").textContent = Math.round(100 * $("train_fraction").value) + " %"; };
    $("optimizer").onchange = () => setConfig({ optimizer: $("optimizer").value });
    $("schedule").onchange = () => setConfig({ schedule: $("schedule").value || null });
    $("loss").onchange = () => setConfig({ loss: $("loss").value || null });
    $("reseed").onclick = () => setConfig({ seed: Math.floor(Math.random() * 100000) });
    $("add-layer").onclick = () => {
      const c = pg.config, l = (c.layers || []).slice(), a = (c.activations || []).slice();
      if (l.length >= (pg.caps.max_layers || 6)) return;
      l.push(l.length ? l[l.length - 1] : 4); a.push(a.length ? a[a.length - 1] : choices("activations")[0]);
      setConfig({ layers: l, activations: a });
    };
    $("remove-layer").onclick = () => {
      const c = pg.config; if (!(c.layers || []).length) return;
      setConfig({ layers: c.layers.slice(0, -1), activations: (c.activations || []).slice(0, c.layers.length - 1) });
    };
    $("weight-editor").onsubmit = async (ev) => {
      ev.preventDefault();
      if (!selectedEdge) return;
      const value = Number($("weight-value").value);
      if (!Number.isFinite(value)) { showMessage("A weight must be a number."); return; }
      const d = await api("POST", sidPath("weight"), { ...selectedEdge, value });
      take(d);
    };
    $("weight-cancel").onclick = () => { $("weight-editor").hidden = true; selectedEdge = null; markSelected(); };
    $("explain").onclick = explain;
    $("plot").addEventListener("click", (ev) => {
      const g = pg.state && pg.state.grid;
      if (!g || !pg.builtin.includes(pg.config.dataset)) return;
      const r = ev.target.getBoundingClientRect();
      const [x0, x1, y0, y1] = g.extent;
      $("ex-x").value = (x0 + ((ev.clientX - r.left) / r.width) * (x1 - x0)).toFixed(3);
      $("ex-y").value = (y1 - ((ev.clientY - r.top) / r.height) * (y1 - y0)).toFixed(3);
      explain();
    });
    $("show-test").onchange = () => { dirty = true; };
    $("discretize").onchange = () => { dirty = true; };
    $("csv").onchange = readHeader;
    $("upload").onclick = upload;
    $("copy-link").onclick = async () => {
      try { await navigator.clipboard.writeText(location.href); $("copy-link").textContent = "link copied"; }
      catch (e) { $("copy-link").textContent = "copy the address bar"; }
    };
    window.addEventListener("resize", () => { dirty = true; });
  }

  async function start() {
    wire();
    const ds = await api("GET", "/api/datasets");
    if (!ds) return;
    pg.caps = ds.caps || {};
    pg.builtin = ds.builtin || [];
    const box = $("datasets");
    for (const name of pg.builtin) {
      const b = document.createElement("button"); b.textContent = name; b.dataset.name = name; b.title = `the ${name} data set`;
      b.onclick = () => setConfig({ dataset: name });
      box.append(b);
    }
    fillSelect($("optimizer"), choices("optimizers"));
    for (const key of ["noise", "train_fraction", "n", "learning_rate", "batch_size", "l2", "seed"]) {
      const r = pg.caps[key];
      if (Array.isArray(r) && r.length === 2) { $(key).min = r[0]; $(key).max = r[1]; }
    }
    fillSelect($("schedule"), choices("schedules"), "constant");
    fillSelect($("loss"), choices("losses"), "default");
    const fromURL = paramsToConfig(new URLSearchParams(location.search));
    let note = "";
    if (fromURL.dataset && !pg.builtin.includes(fromURL.dataset)) {
      delete fromURL.dataset; // an uploaded table is not in the link
      note = "This link was made with an uploaded CSV, which a link cannot carry: load the file again.";
    }
    let data = await api("POST", "/api/session", Object.keys(fromURL).length ? { config: fromURL } : {});
    if (!data && Object.keys(fromURL).length) {
      note = said + " The defaults are shown instead.";
      data = await api("POST", "/api/session", {});
    }
    if (!data) return;
    pg.sid = data.sid;
    take(data);
    source = new EventSource(sidPath("events"));
    const onSnap = (ev) => { try { const t0 = performance.now(); queueState(JSON.parse(ev.data)); pg.parseMs = performance.now() - t0; } catch (e) { /* a partial frame: the next one follows */ } };
    source.onmessage = onSnap;
    source.addEventListener("snapshot", onSnap);
    source.onerror = () => { if (source.readyState === EventSource.CLOSED) showMessage("Lost the connection to the server; reload the page."); };
    window.addEventListener("pagehide", () => source && source.close());
    if (note) showMessage(note);
    pg.ready = true;
    document.body.dataset.ready = "1";
  }

  requestAnimationFrame(frame);
  document.addEventListener("DOMContentLoaded", start);
})();
