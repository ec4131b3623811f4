// Pneumoscope page: upload → /api/predict → class, probabilities, Grad-CAM blended over the X-ray.
// Same-origin only; server text is always inserted as text, never as HTML.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const CLASSES = ["bacteria", "virus", "normal"];
  const NAMES = { bacteria: "Bacterial pneumonia", virus: "Viral pneumonia", normal: "Normal" };
  let maxUploadBytes = 20 * 1048576;
  let previewUrl = null;
  let busy = false;

  const pct = (v, digits) => (100 * v).toFixed(digits === undefined ? 1 : digits) + " %";
  const ci = (iv) => (Array.isArray(iv) && iv.length === 2 ? "95 % CI " + pct(iv[0]) + " – " + pct(iv[1]) : "");

  function fact(dl, label, value, note, wide) {
    if (value === null || value === undefined || value === "") return;
    const div = document.createElement("div");
    if (wide) div.className = "span2";
    const dt = document.createElement("dt");
    dt.textContent = label;
    const dd = document.createElement("dd");
    dd.textContent = value;
    if (note) {
      const s = document.createElement("div");
      s.className = "ci";
      s.textContent = note;
      dd.appendChild(s);
    }
    div.append(dt, dd);
    dl.appendChild(div);
  }

  async function loadModel() {
    try {
      const r = await fetch("api/model", { cache: "no-store" });
      if (!r.ok) throw new Error("HTTP " + r.status);
      showModel(await r.json());
    } catch (e) {
      $("model-chip").textContent = "model card unavailable";
    }
  }

  function showModel(m) {
    const t = m.test_metrics;
    $("model-chip").textContent = m.name + (t && typeof t.accuracy === "number" ? " · test accuracy " + pct(t.accuracy) : "");
    if (m.server && m.server.max_upload_mb) {
      maxUploadBytes = m.server.max_upload_mb * 1048576;
      $("limit").textContent = m.server.max_upload_mb + " MB";
    }
    if (m.server && m.server.default_tta) $("tta").checked = true;
    if (m.server && m.server.keeps_uploads)
      $("privacy").textContent = "This server keeps a copy of every upload (started with --keep-uploads); treat it as a store of patient data.";
    const dl = $("facts");
    dl.textContent = "";
    fact(dl, "Model", m.name, "run folder “" + m.run + "”" + (m.created ? " · trained " + String(m.created).slice(0, 10) : ""));
    fact(dl, "Trained on", m.trained_on, null, true);
    if (t) {
      fact(dl, "Test set", (t.n || 0).toLocaleString("en") + " images" + (t.patients ? " · " + t.patients.toLocaleString("en") + " patients" : ""),
        "split: " + (t.split || "test"));
      const c = t.ci95 || {};
      if (typeof t.accuracy === "number") fact(dl, "Accuracy", pct(t.accuracy), ci(c.accuracy));
      if (typeof t.macro_f1 === "number") fact(dl, "Macro F1", pct(t.macro_f1), ci(c.macro_f1));
      if (typeof t.macro_auc === "number") fact(dl, "Macro AUC", t.macro_auc.toFixed(3),
        Array.isArray(c.macro_auc) ? "95 % CI " + c.macro_auc[0].toFixed(3) + " – " + c.macro_auc[1].toFixed(3) : "");
      if (t.per_class) {
        const rec = CLASSES.filter((k) => t.per_class[k] && typeof t.per_class[k].recall === "number")
          .map((k) => NAMES[k].replace(" pneumonia", "") + " " + pct(t.per_class[k].recall, 0)).join(" · ");
        fact(dl, "Recall (sensitivity) per class", rec, null, true);
      }
      if (typeof t.ece === "number") fact(dl, "Calibration error (ECE)", t.ece.toFixed(3), "after " + calibrationText(m));
    } else {
      const v = m.validation || {};
      fact(dl, "Test metrics", "not evaluated yet", m.test_metrics_note || "");
      if (typeof v.accuracy === "number") fact(dl, "Validation accuracy", pct(v.accuracy), "n = " + v.n);
    }
    fact(dl, "Intended use", m.intended_use, null, true);
    fact(dl, "Not intended for", m.not_intended_for, null, true);
    const ul = $("limitations");
    ul.textContent = "";
    (m.limitations || []).forEach((l) => {
      const li = document.createElement("li");
      li.textContent = l;
      ul.appendChild(li);
    });
  }

  // The shift alarm lives in /api/health (the server's window of recent films): read on load and after each result.
  async function loadShift() {
    try {
      const r = await fetch("api/health", { cache: "no-store" });
      if (r.ok) showShift((await r.json()).shift);
    } catch (e) { /* the next prediction tries again */ }
  }

  function showShift(s) {
    const on = !!(s && s.alarm);
    $("shift-banner").hidden = !on;
    if (!on) return;
    const m = String(s.message || "");
    $("shift-message").textContent = m.charAt(0).toUpperCase() + m.slice(1) + ".";
    $("shift-figures").textContent = "Score " + Number(s.score).toFixed(2) + " above the alarm threshold "
      + Number(s.threshold).toFixed(2) + " over the last " + s.window + " films."
      + (s.estimated_accuracy == null ? "" : " Label-free accuracy estimate " + Math.round(100 * s.estimated_accuracy)
        + " % (validation films " + Math.round(100 * s.validation_accuracy) + " %; rough).");
  }

  function setStatus(text, spinning) {
    const s = $("status");
    s.hidden = !text;
    s.textContent = text || "";
    s.classList.toggle("busy", !!spinning);
  }

  function showError(title, detail) {
    const e = $("error");
    e.textContent = "";
    const b = document.createElement("b");
    b.textContent = title;
    e.append(b, document.createTextNode(detail || ""));
    e.hidden = false;
  }

  function sizeText(n) {
    return n >= 1048576 ? (n / 1048576).toFixed(1) + " MB" : Math.max(1, Math.round(n / 1024)) + " KB";
  }

  // Resolves true when the browser can display the file itself (JPEG, PNG, …), false otherwise (DICOM, TIFF).
  function showPreview(file) {
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = URL.createObjectURL(file);
    const img = $("preview-img");
    $("preview").hidden = false;
    $("file-meta").textContent = file.name + " · " + sizeText(file.size);
    return new Promise((resolve) => {
      img.onload = () => { img.hidden = false; $("no-preview").hidden = true; resolve(true); };
      img.onerror = () => { img.hidden = true; $("no-preview").hidden = false; resolve(false); };
      img.src = previewUrl;
    });
  }

  async function analyse(file) {
    if (!file || busy) return;
    $("error").hidden = true;
    $("result").hidden = true;
    if (file.size > maxUploadBytes) {
      setStatus("");
      showError("File too large. ", file.name + " is " + sizeText(file.size) + "; this server accepts up to " + sizeText(maxUploadBytes) + ".");
      return;
    }
    busy = true;
    const viewable = await showPreview(file);
    setStatus("Analysing…", true);
    const form = new FormData();
    form.append("image", file, "upload");
    // the page lays the heatmap layer over its own preview (or the decoded film), so it needs no overlay
    const q = new URLSearchParams({ cam: "true", tta: $("tta").checked ? "true" : "false", image: viewable ? "false" : "true", overlay: "false" });
    try {
      const r = await fetch("api/predict?" + q, { method: "POST", body: form });
      let body = null;
      try { body = await r.json(); } catch (e) { /* not JSON */ }
      if (!r.ok) {
        setStatus("");
        let title = "The server could not analyse this file (" + r.status + "). ";
        if (r.status === 503) title = "The server is busy. Try again in " + (r.headers.get("Retry-After") || "a few") + " s. ";
        showError(title, body && body.detail ? body.detail.charAt(0).toUpperCase() + body.detail.slice(1) + "." : "");
        return;
      }
      showResult(body, viewable ? previewUrl : body.image_png);
      loadShift();
    } catch (e) {
      setStatus("");
      showError("No answer from the server. ", "Check that Pneumoscope is still running.");
    } finally {
      busy = false;
    }
  }

  function showResult(r, baseSrc) {
    setStatus("");
    const p = r.probabilities;
    $("result-label").textContent = r.display_label || NAMES[r.label];
    $("result-p").textContent = pct(p[r.label]);
    document.querySelector(".verdict").dataset.class = r.label;
    CLASSES.forEach((k) => {
      const row = document.querySelector('.prob[data-class="' + k + '"]');
      row.dataset.p = String(p[k]);
      row.classList.toggle("top", k === r.label);
      row.querySelector(".prob-bar").style.width = (100 * p[k]).toFixed(2) + "%";
      row.querySelector(".prob-value").textContent = pct(p[k]);
    });
    $("calibration-note").textContent = "Calibrated probabilities (" + calibrationText(r) + ")"
      + (r.tta ? ", averaged with the mirrored image" : "") + " · " + r.image.format + " " + r.image.width + "×" + r.image.height
      + " px · " + Math.round(r.ms) + " ms";
    if (r.image_png) {
      const img = $("preview-img");
      img.src = r.image_png;
      img.hidden = false;
      $("no-preview").hidden = true;
    }
    const hasCam = !!r.heatmap_png;
    $("cam-section").hidden = !hasCam;
    if (hasCam) {
      $("cam-base").src = baseSrc || r.image_png || r.cam_png;
      $("cam-heatmap").src = r.heatmap_png;
      $("cam-note").textContent = "Regions that raised the score for “" + NAMES[r.cam_class] + "”. "
        + "A heatmap shows what influenced the model, not where disease is.";
      applyOpacity();
    }
    $("result").hidden = false;
  }

  function applyOpacity() {
    const v = Number($("opacity").value);
    $("cam-heatmap").style.opacity = String(v / 100);
    $("opacity-value").textContent = v + " %";
  }

  const drop = $("drop");
  const input = $("file");
  input.addEventListener("change", () => { if (input.files.length) analyse(input.files[0]); input.value = ""; });
  ["dragenter", "dragover"].forEach((t) => drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.add("over"); }));
  ["dragleave", "dragend"].forEach((t) => drop.addEventListener(t, () => drop.classList.remove("over")));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    if (e.dataTransfer && e.dataTransfer.files.length) analyse(e.dataTransfer.files[0]);
  });
  // a file dropped next to the zone must not make the browser navigate away from the page
  window.addEventListener("dragover", (e) => e.preventDefault());
  window.addEventListener("drop", (e) => e.preventDefault());
  $("opacity").addEventListener("input", applyOpacity);
  // "temperature scaling, T = 0.93", or with class offsets: the offsets follow the training data's class mix
  function calibrationText(o) {
    const t = "T = " + Number(o.temperature).toFixed(2);
    return o.calibration_method === "bias-corrected"
      ? "temperature and class offsets fitted on validation films, " + t
      : "temperature scaling, " + t;
  }

  loadModel();
  loadShift();
})();
