// depthlm serve: the web page. Hand-written, no framework, nothing loaded from elsewhere.
//
// Coordinates: every point sent to the server is an integer pixel of the ORIGINAL file
// (x in 0..w-1, y in 0..h-1), whatever size the photo is drawn at. Markers are positioned in
// percent of the photo so they stay put when the page is resized.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const els = {
    file: $("file"), focal: $("focal"), modeTwo: $("mode-two"), depthBtn: $("depth-btn"),
    clearBtn: $("clear-btn"), status: $("status"), statusText: $("status-text"), error: $("error"),
    focalInfo: $("focal-info"), twoResult: $("two-point-result"), drop: $("drop"),
    dropHint: $("drop-hint"), stage: $("stage"), photo: $("photo"), overlay: $("overlay"),
    lines: $("lines"), marks: $("marks"), depthPanel: $("depth-panel"), opacity: $("opacity"),
    colourbar: $("colourbar"), cbLo: $("cb-lo"), cbHi: $("cb-hi"), cloud: $("cloud"),
    dlPly: $("dl-ply"), dlPng: $("dl-png"), modelInfo: $("model-info"),
  };

  const state = {
    dataUrl: null, // the file's own bytes as a data URL: the server needs its EXIF for the focal
    width: 0, // stored pixel size of the photo (what the server sees)
    height: 0,
    gen: 0, // bumped for each new photo, so late answers about an old photo are dropped
    apiKey: null, // asked for on the first 401, kept in memory only
    busy: 0,
    first: null, // two-point mode: the first click, waiting for the second
    marksGen: 0, // bumped when the marks are cleared, so an answer for cleared marks is dropped
    urls: [], // Blob object URLs of the downloads, revoked when replaced
  };

  // ---------------------------------------------------------------- messages

  function showError(message) {
    els.error.textContent = message;
    els.error.hidden = false;
  }

  function clearError() {
    els.error.textContent = "";
    els.error.hidden = true;
  }

  function setBusy(delta, text) {
    state.busy += delta;
    if (text) els.statusText.textContent = text;
    els.status.hidden = state.busy === 0;
  }

  function showFocal(answer) {
    const f = Math.round(answer.focal);
    const from = {
      focal: "entered by you",
      intrinsics: "from the intrinsics",
      exif: "from EXIF",
      estimated: "estimated by the model from the photo; enter the focal if you know it",
    }[answer.focal_source];
    els.focalInfo.hidden = false;
    if (answer.focal_source === "default") {
      // An assumed focal scales every distance: say so loudly.
      els.focalInfo.className = "info warn";
      els.focalInfo.textContent = `focal ${f} px, ASSUMED: the photo has no EXIF focal, so a 60° ` +
        "default field of view was used. Distances may be off; enter the focal length (pixels) " +
        "above for accurate ones.";
    } else {
      els.focalInfo.className = "info";
      els.focalInfo.textContent = `focal ${f} px (${from || answer.focal_source})`;
    }
  }

  // ---------------------------------------------------------------- server calls

  class ApiError extends Error {}

  function send(path, body) {
    const headers = { "Content-Type": "application/json" };
    if (state.apiKey) headers.Authorization = `Bearer ${state.apiKey}`;
    return fetch(path, { method: "POST", headers, body: JSON.stringify(body) });
  }

  // The server's own message (body.error.message), else the HTTP status and the start of the body.
  async function errorMessage(resp) {
    const text = await resp.text().catch(() => "");
    try {
      const msg = JSON.parse(text).error.message;
      if (msg) return `${msg} (HTTP ${resp.status})`;
    } catch (_) { /* not our JSON: a proxy's page, say */ }
    return `HTTP ${resp.status} ${resp.statusText}${text ? ": " + text.slice(0, 200) : ""}`;
  }

  // POST JSON; on 401 ask for the key once, then resend. Throws ApiError with a readable message.
  async function api(path, body, busyText) {
    setBusy(+1, busyText);
    try {
      let resp;
      try {
        resp = await send(path, body);
        if (resp.status === 401) {
          const key = window.prompt("This server needs an API key:");
          if (key && key.trim()) {
            state.apiKey = key.trim();
            resp = await send(path, body);
          }
          if (resp.status === 401) state.apiKey = null; // wrong key: ask again next time
        }
      } catch (err) {
        throw new ApiError(`Network error: could not reach the server (${err.message}).`);
      }
      if (!resp.ok) throw new ApiError(await errorMessage(resp));
      try {
        return await resp.json();
      } catch (err) {
        throw new ApiError(`The server sent an unreadable answer (${err.message}).`);
      }
    } finally {
      setBusy(-1);
    }
  }

  // Focal from the field, or nothing (the server then reads EXIF or assumes 60°). Throws on junk.
  function cameraFields(body) {
    const text = els.focal.value.trim();
    if (text === "" && !els.focal.validity.badInput) return body;
    const f = Number(text);
    if (!(f > 0) || !Number.isFinite(f)) {
      throw new ApiError("Focal length must be a positive number of pixels (or empty).");
    }
    body.focal = f;
    return body;
  }

  // ---------------------------------------------------------------- the photo

  function loadFile(file) {
    if (!file) return;
    const reader = new FileReader();
    // Read once, as a data URL of the original bytes: the EXIF (focal) stays in it.
    reader.onload = () => showPhoto(reader.result, file.name);
    reader.onerror = () => showError(`Could not read ${file.name}: ${reader.error}`);
    reader.readAsDataURL(file);
  }

  function showPhoto(dataUrl, name) {
    state.gen += 1;
    state.dataUrl = null;
    clearMarks();
    resetDepth();
    els.focalInfo.hidden = true;
    els.photo.style.width = ""; // natural size first: storedSize() reads the drawn aspect ratio
    els.photo.style.height = "";
    els.photo.onload = () => {
      els.stage.hidden = false;
      els.dropHint.hidden = true;
      [state.width, state.height] = storedSize(els.photo);
      fitPhoto();
      state.dataUrl = dataUrl;
      els.depthBtn.disabled = false;
      els.clearBtn.disabled = false;
      clearError();
    };
    els.photo.onerror = () => {
      els.stage.hidden = true;
      els.dropHint.hidden = false;
      els.depthBtn.disabled = true;
      showError(`This browser cannot display ${name}; try a JPEG or PNG.`);
    };
    els.photo.src = dataUrl;
  }

  // naturalWidth/Height follow the EXIF rotation even with `image-orientation: none`, but the
  // photo is drawn with the stored aspect ratio: when the two disagree, the stored size is the
  // natural one swapped (a 90° EXIF rotation).
  function storedSize(img) {
    const nw = img.naturalWidth;
    const nh = img.naturalHeight;
    const box = img.getBoundingClientRect();
    if (nw !== nh && box.width > 0 && box.height > 0) {
      const shown = box.width / box.height;
      const err = (a) => Math.abs(Math.log(shown / a));
      if (err(nh / nw) < err(nw / nh)) return [nh, nw];
    }
    return [nw, nh];
  }

  // Fit the photo to the width of its box and most of the window's height. Small photos are
  // enlarged (at most 2×) so there is something to click on; the box keeps the exact aspect
  // ratio, so percentages inside it are fractions of the photo.
  function fitPhoto() {
    if (!state.width || els.stage.hidden) return;
    const style = getComputedStyle(els.drop);
    const availW = els.drop.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const availH = window.innerHeight * 0.78; // as the CSS max-height: 78vh
    const scale = Math.min(availW / state.width, availH / state.height, 2);
    els.photo.style.width = `${Math.floor(state.width * scale)}px`;
    els.photo.style.height = `${Math.floor(state.height * scale)}px`;
  }

  // The answer's intrinsics carry the size the server used; trust it over our guess.
  function adoptServerSize(intrinsics) {
    if (Array.isArray(intrinsics) && intrinsics.length >= 6 &&
        (intrinsics[4] !== state.width || intrinsics[5] !== state.height)) {
      state.width = intrinsics[4];
      state.height = intrinsics[5];
      els.lines.setAttribute("viewBox", `0 0 ${state.width} ${state.height}`);
      fitPhoto();
    }
  }

  // ---------------------------------------------------------------- markers and labels

  const pct = (v, n) => `${((v + 0.5) / n) * 100}%`; // centre of pixel v

  function addMarker(x, y) {
    const m = document.createElement("div");
    m.className = "marker pending";
    m.style.left = pct(x, state.width);
    m.style.top = pct(y, state.height);
    els.marks.appendChild(m);
    return m;
  }

  function addLabel(x, y, answer) {
    const label = document.createElement("div");
    label.className = "label";
    label.dataset.x = String(x);
    label.dataset.y = String(y);
    if (typeof answer.metres === "number") {
      label.dataset.metres = String(answer.metres);
      label.textContent = `${answer.metres.toFixed(2)} m`;
    } else {
      label.dataset.metres = "";
      label.classList.add("none");
      label.textContent = answer.skipped ? "too near the edge" : "no answer";
      if (answer.text) label.title = `model said: ${answer.text}`;
    }
    // Labels on the right half open to the left, so they never stick out of the page.
    if ((x + 0.5) / state.width > 0.6) label.classList.add("left");
    label.style.left = pct(x, state.width);
    label.style.top = pct(y, state.height);
    els.marks.appendChild(label);
    return label;
  }

  function drawLine(a, b) {
    const ns = "http://www.w3.org/2000/svg";
    els.lines.setAttribute("viewBox", `0 0 ${state.width} ${state.height}`);
    // A white line under the red one keeps it visible on any photo.
    for (const [colour, width] of [["#fff", 5], ["#e0161b", 2.5]]) {
      const line = document.createElementNS(ns, "line");
      line.setAttribute("x1", a.x + 0.5);
      line.setAttribute("y1", a.y + 0.5);
      line.setAttribute("x2", b.x + 0.5);
      line.setAttribute("y2", b.y + 0.5);
      line.setAttribute("stroke", colour);
      line.setAttribute("stroke-width", width);
      line.setAttribute("stroke-linecap", "round");
      line.setAttribute("vector-effect", "non-scaling-stroke");
      els.lines.appendChild(line);
    }
  }

  function clearMarks() {
    state.marksGen += 1;
    els.marks.replaceChildren();
    els.lines.replaceChildren();
    els.twoResult.hidden = true;
    els.twoResult.textContent = "";
    delete els.twoResult.dataset.metres;
    state.first = null;
  }

  // ---------------------------------------------------------------- measuring

  // The click's pixel in the stored photo, however large the photo is drawn.
  function clickPixel(ev) {
    const box = els.photo.getBoundingClientRect();
    const fx = (ev.clientX - box.left) / box.width;
    const fy = (ev.clientY - box.top) / box.height;
    const clamp = (v, n) => Math.min(n - 1, Math.max(0, Math.floor(v * n)));
    return { x: clamp(fx, state.width), y: clamp(fy, state.height) };
  }

  async function measure(points, markers) {
    const gen = state.gen;
    const marksGen = state.marksGen;
    let body;
    try {
      body = cameraFields({ image: state.dataUrl, points: points.map((p) => [p.x, p.y]),
                            task: "distance" });
    } catch (err) {
      markers.forEach((m) => m.remove());
      showError(err.message);
      return null;
    }
    try {
      const res = await api("/v1/measure", body, "measuring…");
      if (gen !== state.gen || marksGen !== state.marksGen) return null; // photo or marks gone
      clearError();
      adoptServerSize(res.intrinsics);
      showFocal(res);
      markers.forEach((m) => m.classList.remove("pending"));
      res.answers.forEach((a, i) => addLabel(points[i].x, points[i].y, a));
      return res;
    } catch (err) {
      if (gen !== state.gen) return null;
      if (marksGen === state.marksGen) {
        markers.forEach((m) => m.remove()); // no answer: take the point back
        els.lines.replaceChildren();
      }
      showError(err.message);
      return null;
    }
  }

  // The 3D point (camera frame, metres) `metres` away from the camera along pixel (x, y)'s ray.
  function backProject(x, y, metres, intrinsics) {
    const [fx, fy, cx, cy] = intrinsics;
    const rx = (x - cx) / fx;
    const ry = (y - cy) / fy;
    const norm = Math.hypot(rx, ry, 1);
    return [(metres * rx) / norm, (metres * ry) / norm, metres / norm];
  }

  async function onPhotoClick(ev) {
    if (!state.dataUrl) return;
    const p = clickPixel(ev);
    if (!els.modeTwo.checked) {
      await measure([p], [addMarker(p.x, p.y)]);
      return;
    }
    if (!state.first) {
      clearMarks(); // a new pair replaces the last one, so line and result always match
      state.first = { ...p, marker: addMarker(p.x, p.y) };
      state.first.marker.classList.remove("pending");
      els.twoResult.hidden = false;
      els.twoResult.className = "info";
      els.twoResult.textContent = "Now click the second point.";
      return;
    }
    const a = state.first;
    state.first = null;
    drawLine(a, p);
    els.twoResult.textContent = "measuring both points…";
    const marksGen = state.marksGen;
    const res = await measure([a, p], [a.marker, addMarker(p.x, p.y)]);
    if (marksGen !== state.marksGen) return; // cleared meanwhile: the result is not ours to show
    if (!res) {
      els.twoResult.hidden = true;
      return;
    }
    const [ma, mb] = res.answers.map((ans) => ans.metres);
    if (typeof ma !== "number" || typeof mb !== "number") {
      els.twoResult.textContent = "3D distance: unavailable (a point got no answer; " +
        "try points further from the edge).";
      return;
    }
    const A = backProject(a.x, a.y, ma, res.intrinsics);
    const B = backProject(p.x, p.y, mb, res.intrinsics);
    const d = Math.hypot(A[0] - B[0], A[1] - B[1], A[2] - B[2]);
    els.twoResult.dataset.metres = String(d);
    els.twoResult.textContent = `3D distance: ${d.toFixed(2)} m`;
  }

  // ---------------------------------------------------------------- depth map

  function resetDepth() {
    els.overlay.hidden = true;
    els.overlay.removeAttribute("src");
    els.depthPanel.hidden = true;
    state.urls.forEach((u) => URL.revokeObjectURL(u));
    state.urls = [];
    els.dlPly.removeAttribute("href");
    els.dlPng.removeAttribute("href");
    cloudView.setData([], []);
  }

  function base64Blob(b64, type) {
    const bin = atob(b64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new Blob([bytes], { type });
  }

  function setDownload(link, b64, type) {
    const url = URL.createObjectURL(base64Blob(b64, type));
    state.urls.push(url);
    link.href = url;
  }

  async function onDepth() {
    if (!state.dataUrl) return;
    const gen = state.gen;
    els.depthBtn.disabled = true;
    try {
      const body = cameraFields({ image: state.dataUrl });
      const res = await api("/v1/depth", body, "computing the depth map… (this takes a while)");
      if (gen !== state.gen) return;
      clearError();
      resetDepth();
      showFocal(res);
      els.overlay.src = `data:image/png;base64,${res.colour_png}`;
      els.overlay.style.opacity = String(els.opacity.value / 100);
      els.overlay.hidden = false;
      els.depthPanel.hidden = false; // before drawing: the canvases need their laid-out size
      drawColourBar(res.depth_range);
      setDownload(els.dlPly, res.ply, "application/octet-stream");
      setDownload(els.dlPng, res.depth_png, "image/png");
      const cloud = res.cloud || { xyz: [], rgb: [] };
      cloudView.setData(cloud.xyz, cloud.rgb);
    } catch (err) {
      if (gen === state.gen) showError(err.message);
    } finally {
      if (gen === state.gen) els.depthBtn.disabled = false;
    }
  }

  // Turbo colormap (matplotlib's "turbo", which the server's map uses), as 17 evenly spaced
  // colours with linear interpolation between them: within 8/255 of the real table everywhere.
  // (Google's 5th-degree polynomial is 32/255 off at the ends, enough to misread the bar.)
  const TURBO = [
    [48, 18, 59], [64, 64, 162], [70, 107, 227], [66, 148, 255], [40, 188, 235], [24, 221, 194],
    [50, 242, 152], [109, 254, 98], [164, 252, 60], [205, 236, 52], [238, 207, 58],
    [253, 172, 52], [251, 126, 33], [235, 80, 14], [208, 47, 5], [169, 22, 1], [122, 4, 3],
  ];

  // t in [0, 1] → [r, g, b] in 0..255. Near (lo) is dark blue, far (hi) dark red.
  function turbo(t) {
    const u = Math.min(1, Math.max(0, t)) * (TURBO.length - 1);
    const i = Math.min(TURBO.length - 2, Math.floor(u));
    const f = u - i;
    return TURBO[i].map((c, k) => Math.round(c + f * (TURBO[i + 1][k] - c)));
  }

  function drawColourBar(range) {
    const canvas = els.colourbar;
    const w = Math.max(2, Math.round(canvas.clientWidth * (window.devicePixelRatio || 1)));
    canvas.width = w;
    canvas.height = 1; // one row, stretched by CSS
    const ctx = canvas.getContext("2d");
    const row = ctx.createImageData(w, 1);
    for (let i = 0; i < w; i++) {
      const [r, g, b] = turbo(i / (w - 1));
      row.data.set([r, g, b, 255], 4 * i);
    }
    ctx.putImageData(row, 0, 0);
    const [lo, hi] = range || [NaN, NaN];
    els.cbLo.textContent = Number.isFinite(lo) ? `${lo.toFixed(2)} m` : "?";
    els.cbHi.textContent = Number.isFinite(hi) ? `${hi.toFixed(2)} m` : "?";
    canvas.dataset.lo = String(lo);
    canvas.dataset.hi = String(hi);
  }

  // ---------------------------------------------------------------- point cloud viewer

  // A small software renderer on a 2D canvas: orbit around the cloud's centre, perspective
  // projection, one z-buffered square per point. 20k points redraw in a few milliseconds.
  const cloudView = (() => {
    const canvas = els.cloud;
    let xyz = new Float32Array(0);
    let rgb = new Uint8Array(0);
    let centre = [0, 0, 0];
    let radius = 1;
    let yaw = 0, pitch = 0, zoom = 1;
    let frame = 0;

    function median(values) {
      const s = Float32Array.from(values).sort();
      return s.length ? s[s.length >> 1] : 0;
    }

    function setData(flatXyz, flatRgb) {
      xyz = Float32Array.from(flatXyz || []);
      rgb = Uint8Array.from(flatRgb || []);
      const n = Math.floor(xyz.length / 3);
      // Median centre and 90th-percentile spread: a few far points must not shrink the view.
      const axis = (k) => Array.from({ length: n }, (_, i) => xyz[3 * i + k]);
      centre = [median(axis(0)), median(axis(1)), median(axis(2))];
      const dist = Array.from({ length: n }, (_, i) => Math.hypot(
        xyz[3 * i] - centre[0], xyz[3 * i + 1] - centre[1], xyz[3 * i + 2] - centre[2]));
      dist.sort((a, b) => a - b);
      radius = Math.max(1e-3, n ? dist[Math.floor(0.9 * (n - 1))] : 1);
      canvas.dataset.points = String(n);
      reset();
    }

    function reset() {
      // Start where the camera stood: the cloud looks like the photo, then rotates about its centre.
      yaw = 0; pitch = 0; zoom = 1;
      redraw();
    }

    function redraw() {
      if (!frame) frame = requestAnimationFrame(draw);
    }

    function draw() {
      frame = 0;
      const dpr = window.devicePixelRatio || 1;
      const W = Math.max(1, Math.round(canvas.clientWidth * dpr));
      const H = Math.max(1, Math.round(canvas.clientHeight * dpr));
      if (canvas.width !== W || canvas.height !== H) { canvas.width = W; canvas.height = H; }
      const ctx = canvas.getContext("2d");
      const img = ctx.createImageData(W, H);
      const px = new Uint32Array(img.data.buffer);
      px.fill(0xff1b1410); // background #10141b (little-endian ABGR)
      const zbuf = new Float32Array(W * H).fill(Infinity);
      const dist = (2.5 * radius) / zoom; // the eye moves in as you zoom
      const focal = 0.45 * Math.min(W, H) * 2.5; // the radius fills ~45% of the view at zoom 1
      const cyw = Math.cos(yaw), syw = Math.sin(yaw), cp = Math.cos(pitch), sp = Math.sin(pitch);
      const size = Math.max(1, Math.round(1.6 * dpr));
      const n = Math.floor(xyz.length / 3);
      for (let i = 0; i < n; i++) {
        const x = xyz[3 * i] - centre[0], y = xyz[3 * i + 1] - centre[1], z = xyz[3 * i + 2] - centre[2];
        // Yaw about the vertical axis, then pitch about the horizontal one (OpenCV: y is down).
        const x1 = cyw * x + syw * z, z1 = -syw * x + cyw * z;
        const y2 = cp * y - sp * z1, z2 = sp * y + cp * z1;
        const zc = z2 + dist;
        if (zc <= 1e-3 * radius) continue; // behind the eye
        const sx = Math.round(W / 2 + (focal * x1) / zc);
        const sy = Math.round(H / 2 + (focal * y2) / zc);
        if (sx < 0 || sy < 0 || sx >= W || sy >= H) continue;
        const colour = 0xff000000 | (rgb[3 * i + 2] << 16) | (rgb[3 * i + 1] << 8) | rgb[3 * i];
        for (let dy = 0; dy < size && sy + dy < H; dy++) {
          for (let dx = 0; dx < size && sx + dx < W; dx++) {
            const k = (sy + dy) * W + sx + dx;
            if (zc < zbuf[k]) { zbuf[k] = zc; px[k] = colour; }
          }
        }
      }
      ctx.putImageData(img, 0, 0);
      if (!n) {
        ctx.fillStyle = "#9aa4b2";
        ctx.font = `${14 * dpr}px system-ui, sans-serif`;
        ctx.fillText("no points", 10 * dpr, 22 * dpr);
      }
    }

    // Drag rotates, a second finger pinches to zoom, the wheel zooms, a double click resets.
    const pointers = new Map();
    let pinch = 0;
    canvas.addEventListener("pointerdown", (ev) => {
      canvas.setPointerCapture(ev.pointerId);
      pointers.set(ev.pointerId, [ev.clientX, ev.clientY]);
      pinch = 0;
    });
    canvas.addEventListener("pointermove", (ev) => {
      const last = pointers.get(ev.pointerId);
      if (!last) return;
      const now = [ev.clientX, ev.clientY];
      pointers.set(ev.pointerId, now);
      if (pointers.size >= 2) {
        const [a, b] = [...pointers.values()];
        const d = Math.hypot(a[0] - b[0], a[1] - b[1]);
        if (pinch) zoom = Math.min(20, Math.max(0.2, zoom * (d / pinch)));
        pinch = d;
      } else {
        yaw -= (now[0] - last[0]) * 0.01;
        pitch = Math.min(1.5, Math.max(-1.5, pitch + (now[1] - last[1]) * 0.01));
      }
      redraw();
    });
    const release = (ev) => { pointers.delete(ev.pointerId); pinch = 0; };
    canvas.addEventListener("pointerup", release);
    canvas.addEventListener("pointercancel", release);
    canvas.addEventListener("wheel", (ev) => {
      ev.preventDefault(); // zoom the cloud, not the page
      zoom = Math.min(20, Math.max(0.2, zoom * Math.exp(-ev.deltaY * 0.0015)));
      redraw();
    }, { passive: false });
    canvas.addEventListener("dblclick", reset);
    if (window.ResizeObserver) new ResizeObserver(redraw).observe(canvas);

    return { setData, redraw, get view() { return { yaw, pitch, zoom }; } };
  })();

  // ---------------------------------------------------------------- wiring

  els.file.addEventListener("change", () => loadFile(els.file.files[0]));
  els.stage.addEventListener("click", (ev) => { onPhotoClick(ev); });
  els.depthBtn.addEventListener("click", () => { onDepth(); });
  els.clearBtn.addEventListener("click", clearMarks);
  for (const radio of document.querySelectorAll('input[name="mode"]')) {
    radio.addEventListener("change", clearMarks); // a half-made pair means nothing in the other mode
  }
  if (window.ResizeObserver) new ResizeObserver(fitPhoto).observe(els.drop);
  window.addEventListener("resize", fitPhoto); // the height limit follows the window
  els.opacity.addEventListener("input", () => {
    els.overlay.style.opacity = String(els.opacity.value / 100);
  });

  // Dropping anywhere loads the photo (and stops the browser from navigating to the file).
  let dragDepth = 0;
  document.addEventListener("dragenter", (ev) => {
    ev.preventDefault();
    dragDepth += 1;
    els.drop.classList.add("dragging");
  });
  document.addEventListener("dragleave", () => {
    dragDepth = Math.max(0, dragDepth - 1);
    if (!dragDepth) els.drop.classList.remove("dragging");
  });
  document.addEventListener("dragover", (ev) => ev.preventDefault());
  document.addEventListener("drop", (ev) => {
    ev.preventDefault();
    dragDepth = 0;
    els.drop.classList.remove("dragging");
    const file = ev.dataTransfer && ev.dataTransfer.files[0];
    if (file) loadFile(file);
  });

  // Which model answers; the server says 503 while it is still loading it.
  async function pollHealth() {
    try {
      const resp = await fetch("/health");
      if (resp.ok) {
        const body = await resp.json();
        els.modelInfo.textContent = `model: ${body.model}`;
        return;
      }
      if (resp.status !== 503) {
        els.modelInfo.textContent = `server: HTTP ${resp.status}`;
        return; // nothing will change by asking again
      }
      els.modelInfo.textContent = "model loading…";
    } catch (_) {
      els.modelInfo.textContent = "server unreachable";
    }
    setTimeout(pollHealth, 3000);
  }
  pollHealth();

  // For tests and the curious: the viewer's state.
  window.depthlm = { state, cloudView, turbo, backProject };
})();
