// The chat page: lists the sources, asks /ask, and shows a cited span in its passage.
// Works under `Content-Security-Policy: default-src 'self'`: no inline code, no eval, and
// text from the server is only ever inserted with textContent.
"use strict";

const $ = (id) => document.getElementById(id);
const conversation = $("conversation");
const intro = $("intro");
const form = $("ask-form");
const input = $("question");
const askButton = $("ask-button");
const keyButton = $("key-button");
const bar = $("bar");
const panel = $("passage-panel");
const KEY = "dossier-api-key";
const CITE_LINK = /^#cite=(.+):(\d+)-(\d+)$/;
const reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)");

let busy = false; // one question at a time: Enter or Ask while waiting does nothing
let opener = null; // what had focus before the passage dialog opened
let keyPrompt = null; // one shared prompt when several requests meet a 401 at once

// --- talking to the server ------------------------------------------------------------

class ApiError extends Error {
  constructor(message, { status = 0, retry = true } = {}) {
    super(message);
    this.status = status;
    this.retry = retry;
  }
}

function apiKey() {
  try { return localStorage.getItem(KEY) || ""; } catch { return ""; }
}

function storeKey(key) {
  try {
    if (key) localStorage.setItem(KEY, key); else localStorage.removeItem(KEY);
  } catch { /* storage refused (private mode): the key lasts for this page only */ }
  sessionKey = key;
}
let sessionKey = "";

function askForKey(message) {
  keyPrompt = keyPrompt || Promise.resolve().then(() => {
    const key = (window.prompt(message) || "").trim();
    if (key) storeKey(key);
    keyPrompt = null;
    return key;
  });
  return keyPrompt;
}

async function api(path, options = {}, retried = false) {
  const headers = { ...(options.headers || {}) };
  if (options.body) headers["Content-Type"] = "application/json";
  const key = apiKey() || sessionKey;
  if (key) headers.Authorization = `Bearer ${key}`;
  let response;
  try {
    response = await fetch(path, { ...options, headers });
  } catch {
    throw new ApiError("The Dossier server could not be reached. Is it running?");
  }
  if (response.status === 401) {
    keyButton.hidden = false;
    if (!retried) {
      if (key) storeKey("");
      const entered = await askForKey(
        key ? "That API key was not accepted. API key:" : "This server needs an API key:",
      );
      if (entered) return api(path, options, true);
    }
    throw new ApiError("This server needs an API key: use the “API key” button above.", {
      status: 401,
    });
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const detail = body && typeof body.detail === "string" ? body.detail : `HTTP ${response.status}`;
    // 5xx and 503 (still loading) are worth retrying; a 4xx says what to change instead.
    throw new ApiError(detail, { status: response.status, retry: response.status >= 500 });
  }
  if (body === null) throw new ApiError("The server sent an answer the page cannot read.");
  return body;
}

// --- small DOM helpers ------------------------------------------------------------------

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

function button(className, text, onClick) {
  const node = el("button", className, text);
  node.type = "button";
  node.addEventListener("click", onClick);
  return node;
}

function isWebUrl(url) { return typeof url === "string" && /^https?:\/\//i.test(url); }

function languageName(code) {
  try {
    return new Intl.DisplayNames(["en"], { type: "language" }).of(code) || code;
  } catch {
    return code;
  }
}

function shorten(text, max) {
  const flat = text.replace(/\s+/g, " ").trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max);
  return `${cut.slice(0, Math.max(cut.lastIndexOf(" "), max * 0.6))}…`;
}

// The input bar is fixed; its height keeps the last turn and the dialog clear of it.
function trackBar() {
  const set = () => document.documentElement.style.setProperty("--bar-h", `${bar.offsetHeight}px`);
  set();
  if ("ResizeObserver" in window) new ResizeObserver(set).observe(bar);
  window.addEventListener("resize", set);
}

function growInput() {
  input.style.height = "auto";
  input.style.height = `${Math.min(input.scrollHeight + 2, 160)}px`;
}

// Bring a turn into view above the input bar: all of it when it fits, else its top.
function reveal(turn) {
  const room = window.innerHeight - bar.offsetHeight - 16;
  const fits = turn.getBoundingClientRect().height <= room;
  turn.scrollIntoView({ block: fits ? "end" : "start", behavior: reduceMotion.matches ? "auto" : "smooth" });
}

// --- the empty page: sources and example questions ---------------------------------------

async function loadSources() {
  const summary = $("sources-summary");
  const list = $("source-list");
  let sources;
  try {
    sources = await api("/sources");
  } catch (error) {
    summary.textContent = `Could not load the sources: ${error.message}`;
    summary.append(" ", button("retry", "Try again", loadSources));
    return false;
  }
  list.textContent = "";
  const ok = sources.filter((s) => s.status === "ok");
  summary.textContent = `${ok.length} of ${sources.length} ingested` +
    (ok.length < sources.length ? "; answers come only from the ingested ones." : ".");
  for (const source of [...ok, ...sources.filter((s) => s.status !== "ok")]) {
    const item = el("li", `source ${source.status === "ok" ? "ok" : "failed"}`);
    const title = source.title || source.id;
    const name = isWebUrl(source.url) ? el("a", "source-title", title) : el("span", "source-title", title);
    if (isWebUrl(source.url)) { name.href = source.url; name.target = "_blank"; name.rel = "noopener noreferrer"; }
    const status = el("span", "status", source.status === "ok" ? "ingested" : "failed");
    const detail = source.status === "ok"
      ? `${source.passages} passage${source.passages === 1 ? "" : "s"}${source.pages ? `, ${source.pages} pages` : ""}`
      : source.reason || source.failure || "no reason recorded";
    item.append(status, name, el("span", "source-detail", detail));
    list.append(item);
  }
  return true;
}

async function loadExamples() {
  let examples;
  try {
    examples = await api("/examples");
  } catch {
    return; // examples are a nicety; the sources list already reports a dead server
  }
  const list = $("example-list");
  list.textContent = "";
  for (const question of examples.questions || []) {
    const item = el("li");
    item.append(button("example", question, () => { input.value = question; growInput(); submit(); }));
    list.append(item);
  }
  $("examples").hidden = list.childElementCount === 0;
}

// After the first question the sources and examples fold away; the header's button brings them back.
function showIntro(show) {
  intro.hidden = !show;
  const toggle = $("sources-button");
  toggle.hidden = show && conversation.childElementCount === 0;
  toggle.setAttribute("aria-expanded", String(show));
}

$("sources-button").addEventListener("click", () => {
  const show = intro.hidden;
  showIntro(show);
  if (show) intro.scrollIntoView({ block: "start", behavior: reduceMotion.matches ? "auto" : "smooth" });
});

// --- asking -----------------------------------------------------------------------------

function citationGroups(citations) {
  const groups = new Map();
  for (const c of citations) {
    if (!groups.has(c.source_id)) groups.set(c.source_id, { title: c.title || c.source_id, url: c.url, items: [] });
    groups.get(c.source_id).items.push(c);
  }
  return [...groups.values()];
}

function renderAnswer(body, result) {
  body.className = "answer";
  body.removeAttribute("role");
  body.textContent = "";
  body.closest(".turn").classList.toggle("abstained", result.abstained);
  const text = el("p", "answer-text");
  const byNumber = new Map(result.citations.map((c) => [String(c.n), c]));
  // Split on [n] markers; odd parts are the numbers.
  result.answer.split(/\[(\d+)\]/).forEach((part, i) => {
    const citation = i % 2 === 1 ? byNumber.get(part) : null;
    if (!citation) {
      text.append(document.createTextNode(i % 2 === 1 ? `[${part}]` : part));
      return;
    }
    const marker = button("cite", part, (event) => openCitation(citation, event.currentTarget));
    marker.dataset.n = part;
    marker.setAttribute("aria-label", `Citation ${part}: ${citation.title || citation.source_id}`);
    marker.setAttribute("aria-haspopup", "dialog");
    text.append(marker);
  });
  body.append(text);
  if (result.abstained) {
    body.append(el("p", "badge", "Not in the sources"));
    return;
  }
  const cited = el("div", "cited");
  for (const group of citationGroups(result.citations)) {
    const block = el("section", "cited-source");
    block.append(el("h3", "cited-title", group.title));
    const list = el("ul", "cited-quotes");
    for (const c of group.items) {
      const item = el("li");
      const open = button("quote-link", null, (event) => openCitation(c, event.currentTarget));
      open.dataset.n = String(c.n);
      open.setAttribute("aria-haspopup", "dialog");
      open.append(el("span", "quote-n", String(c.n)), el("span", "quote-text", `“${shorten(c.quote, 110)}”`));
      if (c.page) open.append(el("span", "quote-page", `page ${c.page}`));
      // A quote stays in its own language; say which when it is not English.
      if (c.language && c.language !== "en") {
        open.append(el("span", "quote-language", `in ${languageName(c.language)}`));
      }
      item.append(open);
      list.append(item);
    }
    block.append(list);
    cited.append(block);
  }
  body.append(cited);
}

function renderPending(body) {
  body.className = "answer pending";
  body.setAttribute("role", "status");
  body.textContent = "";
  body.append(el("span", "progress", ""), el("span", "pending-text", "Searching the sources…"));
  const slow = window.setTimeout(() => {
    const label = body.querySelector(".pending-text");
    if (label) label.textContent = "Still reading the passages…";
  }, 4000);
  return () => window.clearTimeout(slow);
}

function renderError(body, error, retry) {
  body.className = "answer error";
  body.setAttribute("role", "alert");
  body.textContent = "";
  const message = el("p", "error-text", `Could not answer: ${error.message}`);
  body.append(message);
  if (input.value.trim()) body.append(el("p", "error-hint", "Your question is still in the box below."));
  if (error.retry) body.append(button("retry", "Retry", retry));
}

async function ask(question, turn) {
  if (busy) return;
  busy = true;
  askButton.disabled = true;
  form.setAttribute("aria-busy", "true");
  const body = turn.querySelector(".answer");
  const stop = renderPending(body);
  reveal(turn);
  try {
    const result = await api("/ask", { method: "POST", body: JSON.stringify({ question }) });
    stop();
    renderAnswer(body, result);
    if (input.value.trim() === question) { input.value = ""; growInput(); }
  } catch (error) {
    stop();
    renderError(body, error, () => ask(question, turn));
  } finally {
    busy = false;
    askButton.disabled = false;
    form.removeAttribute("aria-busy");
  }
  reveal(turn);
}

function submit() {
  const question = input.value.trim();
  if (busy || !question) return;
  showIntro(false);
  const turn = el("article", "turn");
  turn.append(el("p", "question", question), el("div", "answer"));
  conversation.append(turn);
  ask(question, turn);
}

// --- the passage dialog -----------------------------------------------------------------

function citeHash(sourceId, start, end) { return `#cite=${sourceId}:${start}-${end}`; }

function setHash(hash) {
  history.replaceState(null, "", `${location.pathname}${location.search}${hash}`);
}

function openPanel(kicker) {
  $("panel-kicker").textContent = kicker;
  $("panel-title").textContent = "Loading the passage…";
  $("panel-where").textContent = "";
  $("panel-link").hidden = true;
  $("panel-text").textContent = "";
  $("panel-status").textContent = "";
  if (!panel.open) panel.showModal();
  document.body.classList.add("panel-open");
  $("panel-title").focus();
}

function where(span) {
  const parts = [];
  if (span.page) parts.push(`Page ${span.page}`);
  if (span.section) parts.push(`Section “${span.section}”`);
  return parts.join(" · ");
}

function renderSpan(span) {
  $("panel-title").textContent = span.source.title || span.source.id;
  $("panel-where").textContent = where(span);
  const link = $("panel-link");
  link.hidden = !isWebUrl(span.source.url);
  if (!link.hidden) link.href = span.source.url;
  const text = $("panel-text");
  text.textContent = "";
  const body = span.context.text;
  const from = span.start - span.context.start;
  const to = span.end - span.context.start;
  const mark = el("mark", null, body.slice(from, to));
  const lead = span.context.start > 0 ? "…" : "";
  const tail = /[.!?"”’)»:]\s*$/.test(body) ? "" : "…";
  text.append(document.createTextNode(lead + body.slice(0, from)), mark, document.createTextNode(body.slice(to) + tail));
  mark.scrollIntoView({ block: "center" });
}

let spanRequest = 0; // only the latest citation asked for is shown

async function openSpan(sourceId, start, end, kicker, from) {
  opener = from || null;
  openPanel(kicker);
  const request = ++spanRequest;
  try {
    const span = await api(`/sources/${encodeURIComponent(sourceId)}/span?start=${start}&end=${end}`);
    if (request !== spanRequest || !panel.open) return;
    renderSpan(span);
    setHash(citeHash(sourceId, start, end));
  } catch (error) {
    if (request !== spanRequest || !panel.open) return;
    $("panel-title").textContent = "The passage could not be loaded";
    $("panel-status").textContent = error.message;
  }
}

function openCitation(citation, from) {
  openSpan(citation.source_id, citation.start, citation.end, `Citation ${citation.n}`, from);
}

function openFromHash() {
  let hash = location.hash;
  try { hash = decodeURIComponent(hash); } catch { /* keep it as it is */ }
  const match = CITE_LINK.exec(hash);
  if (match) openSpan(match[1], Number(match[2]), Number(match[3]), "Linked passage", null);
}

panel.addEventListener("close", () => {
  document.body.classList.remove("panel-open");
  if (CITE_LINK.test(decodeURIComponentSafe(location.hash))) setHash("");
  const target = opener && opener.isConnected ? opener : input;
  opener = null;
  target.focus();
});
// A click on the backdrop (outside the dialog's box) closes it.
panel.addEventListener("click", (event) => {
  if (event.target !== panel) return;
  const box = panel.getBoundingClientRect();
  const inside = event.clientX >= box.left && event.clientX <= box.right &&
    event.clientY >= box.top && event.clientY <= box.bottom;
  if (!inside) panel.close();
});
$("panel-close").addEventListener("click", () => panel.close());

function decodeURIComponentSafe(text) {
  try { return decodeURIComponent(text); } catch { return text; }
}

// --- wiring -----------------------------------------------------------------------------

form.addEventListener("submit", (event) => {
  event.preventDefault();
  submit();
});
input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    submit();
  }
});
input.addEventListener("input", growInput);
keyButton.addEventListener("click", () => {
  const key = window.prompt("API key:", apiKey());
  if (key !== null) storeKey(key.trim());
});
window.addEventListener("hashchange", openFromHash);

trackBar();
openFromHash();
loadSources().then((ok) => { if (ok) loadExamples(); });
