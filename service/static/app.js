// The chat page: asks /ask, renders citation markers, and shows a cited passage in context.
// Text from the server is only ever inserted with textContent.
"use strict";

const conversation = document.getElementById("conversation");
const form = document.getElementById("ask-form");
const input = document.getElementById("question");
const askButton = document.getElementById("ask-button");
const keyButton = document.getElementById("key-button");
const panel = document.getElementById("passage-panel");

function apiKey() { return localStorage.getItem("dossier-api-key") || ""; }

async function api(path, options = {}) {
  const headers = { "Content-Type": "application/json", ...(options.headers || {}) };
  if (apiKey()) headers.Authorization = `Bearer ${apiKey()}`;
  const response = await fetch(path, { ...options, headers });
  if (response.status === 401) {
    keyButton.hidden = false;
    const key = window.prompt("This server needs an API key:");
    if (key) {
      localStorage.setItem("dossier-api-key", key.trim());
      return api(path, options);
    }
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.detail || `HTTP ${response.status}`);
  return body;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function renderAnswer(turn, result) {
  const answer = turn.querySelector(".answer");
  answer.className = "answer";
  answer.textContent = "";
  turn.classList.toggle("abstained", result.abstained);
  const byNumber = new Map(result.citations.map((c) => [String(c.n), c]));
  // Split on [n] markers; odd parts are the numbers.
  result.answer.split(/\[(\d+)\]/).forEach((part, i) => {
    const citation = i % 2 === 1 ? byNumber.get(part) : null;
    if (!citation) {
      answer.append(document.createTextNode(i % 2 === 1 ? `[${part}]` : part));
      return;
    }
    const button = el("button", "cite", `[${part}]`);
    button.type = "button";
    button.dataset.n = part;
    button.title = citation.title || citation.source_id;
    button.addEventListener("click", () => showCitation(citation));
    answer.append(button);
  });
  if (result.abstained) {
    answer.append(el("span", "badge", "not in the sources"));
    return;
  }
  const list = el("ol", "sources");
  for (const c of result.citations) {
    const item = el("li");
    const link = el("a", null, c.title || c.source_id);
    link.href = "#";
    link.addEventListener("click", (event) => { event.preventDefault(); showCitation(c); });
    const quote = c.quote.replace(/\s+/g, " ");
    const snippet = quote.length > 90 ? `${quote.slice(0, 90)}…` : quote;
    item.append(
      link,
      document.createTextNode(c.page ? `, p. ${c.page}: ` : ": "),
      el("span", "snippet", `“${snippet}”`),
    );
    list.append(item);
  }
  turn.append(list);
}

async function showCitation(citation) {
  const context = await api(`/passages/${encodeURIComponent(citation.passage_id)}?before=1&after=1`);
  document.getElementById("panel-title").textContent = context.source.title || context.source.id;
  const link = document.getElementById("panel-link");
  link.textContent = context.source.url || "";
  link.href = context.source.url || "#";
  link.hidden = !context.source.url;
  document.getElementById("panel-where").textContent =
    `${citation.page ? `page ${citation.page}, ` : ""}characters ${citation.start}–${citation.end}`;
  const text = document.getElementById("panel-text");
  text.textContent = "";
  const from = citation.start - context.context.start;
  const to = citation.end - context.context.start;
  const body = context.context.text;
  const mark = el("mark", null, body.slice(from, to));
  text.append(document.createTextNode(body.slice(0, from)), mark, document.createTextNode(body.slice(to)));
  panel.hidden = false;
  mark.scrollIntoView({ block: "center" });
}

async function ask(question) {
  const turn = el("article", "turn");
  turn.append(el("p", "question", question), el("p", "answer pending", "Looking through the sources…"));
  conversation.append(turn);
  turn.scrollIntoView({ block: "end" });
  askButton.disabled = true;
  try {
    renderAnswer(turn, await api("/ask", { method: "POST", body: JSON.stringify({ question }) }));
  } catch (error) {
    const answer = turn.querySelector(".answer");
    answer.className = "answer error";
    answer.textContent = `Could not answer: ${error.message}`;
  } finally {
    askButton.disabled = false;
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const question = input.value.trim();
  if (!question) return;
  input.value = "";
  ask(question);
});
input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey) {
    event.preventDefault();
    form.requestSubmit();
  }
});
document.getElementById("panel-close").addEventListener("click", () => { panel.hidden = true; });
keyButton.addEventListener("click", () => {
  const key = window.prompt("API key:", apiKey());
  if (key !== null) localStorage.setItem("dossier-api-key", key.trim());
});
