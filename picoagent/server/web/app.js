// The picoagent page: runs (start, watch live, cancel, rate, search) and eval results.
// Plain JavaScript against the HTTP API; the routes live in the URL hash.
"use strict";

const view = document.getElementById("view");
let closeView = () => {};  // what the current view must stop (an EventSource, a timer) when left

async function api(path, options = {}) {
  const response = await fetch(path, { headers: { "Content-Type": "application/json" }, ...options });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.detail || `${response.status} ${response.statusText}`);
  return body;
}

function show(templateId) {
  view.replaceChildren(document.getElementById(templateId).content.cloneNode(true));
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key === "html") node.innerHTML = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
}

function when(seconds) {
  return seconds ? new Date(seconds * 1000).toLocaleString() : "";
}

// Home: the form and the list of runs.

async function home() {
  show("home");
  const form = document.getElementById("new-run");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const request = { task: data.get("task") };
    for (const name of ["model", "actions"]) if (data.get(name)) request[name] = data.get(name);
    for (const name of ["max_steps", "max_seconds"]) if (data.get(name)) request[name] = Number(data.get(name));
    if (data.get("web")) request.tools = ["web"];
    try {
      const run = await api("/api/runs", { method: "POST", body: JSON.stringify(request) });
      location.hash = `#/runs/${run.id}`;
    } catch (error) {
      document.getElementById("form-error").textContent = error.message;
    }
  });
  const search = document.getElementById("search");
  const status = document.getElementById("status-filter");
  const refresh = () => listRuns(search.value, status.value);
  search.addEventListener("input", refresh);
  status.addEventListener("change", refresh);
  await refresh();
  const timer = setInterval(refresh, 3000);  // runs started elsewhere, and running ones finishing
  closeView = () => clearInterval(timer);
}

async function listRuns(q, status) {
  const params = new URLSearchParams({ limit: "200" });
  if (q) params.set("q", q);
  if (status) params.set("status", status);
  const rows = document.getElementById("run-rows");
  if (!rows) return;
  const runs = await api(`/api/runs?${params}`);
  rows.replaceChildren(...runs.map((run) => el("tr", { class: "link", "data-run": run.id, onclick: () => (location.hash = `#/runs/${run.id}`) },
    el("td", {}, when(run.started)),
    el("td", { class: `status ${run.status}` }, run.status),
    el("td", {}, String(run.steps)),
    el("td", {}, run.feedback === "up" ? "👍" : run.feedback === "down" ? "👎" : ""),
    el("td", {}, run.model),
    el("td", {}, run.task))));
}

// One run: its events, live or from the trace.

function renderStep(step, runId) {
  const action = step.action;
  const failed = step.error || (step.observation && step.observation.is_error);
  const usage = step.usage || {};
  const seconds = step.timings && step.timings.total_s ? ` · ${step.timings.total_s.toFixed(1)} s` : "";
  const card = el("div", { class: `step ${failed ? "failed" : "ok"}`, "data-step": String(step.step) },
    el("h3", {}, `Step ${step.step} `, el("small", {}, `${usage.prompt_tokens || 0}+${usage.completion_tokens || 0} tokens${seconds}`)));
  if (step.last_call) card.append(el("p", { class: "meta" }, "asked once more, for the final answer only"));
  if (!action) {
    card.append(el("pre", {}, step.raw || ""));
  } else {
    if (action.thought) card.append(el("p", { class: "thought" }, action.thought));
    if (action.kind === "code") card.append(el("pre", { class: "code", html: highlightPython(action.code) }));
    else card.append(el("p", {}, el("span", { class: "tool" }, action.tool), " ", el("code", {}, JSON.stringify(action.args))));
  }
  const observation = step.observation;
  if (observation) {
    card.append(el("pre", { class: `observation ${observation.is_error ? "error" : ""}` }, observation.text));
    const images = (observation.files || []).filter((file) => /\.(png|jpe?g|gif|svg)$/i.test(file));
    if (images.length) card.append(el("div", { class: "images" }, ...images.map((file) =>
      el("img", { src: `/api/runs/${runId}/files/${file.split("/").map(encodeURIComponent).join("/")}`, alt: file }))));
  }
  if (step.error) card.append(el("p", { class: "error" }, step.error));
  return card;
}

function renderResult(result) {
  return el("div", { class: "card result" },
    el("p", {}, el("span", { class: `status ${result.status}` }, result.status),
      result.answer != null ? el("span", {}, " — answer: ", el("b", { id: "answer" }, result.answer)) : null),
    result.error ? el("p", { class: "error" }, result.error) : null,
    result.usage ? el("p", { class: "meta" }, `${result.steps} steps, ${result.usage.prompt_tokens} prompt + ${result.usage.completion_tokens} completion tokens, ${result.wall_s} s`) : null);
}

function setStatus(status) {
  const node = document.getElementById("run-status");
  if (node) { node.textContent = status; node.className = `status ${status}`; }
  const cancel = document.getElementById("cancel");
  if (cancel) cancel.hidden = !["queued", "running"].includes(status);
}

async function runPage(runId) {
  show("run");
  const run = await api(`/api/runs/${runId}`);
  document.getElementById("run-task").textContent = run.task;
  document.getElementById("run-meta").textContent = `${run.model} · ${runId}`;
  document.getElementById("raw-trace").href = `/api/runs/${runId}/trace.jsonl`;
  setStatus(run.status);
  showRating(run.feedback);
  document.getElementById("cancel").addEventListener("click", async () => {
    try { await api(`/api/runs/${runId}/cancel`, { method: "POST" }); } catch (error) { alert(error.message); }
  });
  for (const rating of ["up", "down"]) {
    document.getElementById(`rate-${rating}`).addEventListener("click", async () => {
      const note = document.getElementById("rate-note").value;
      try {
        showRating(await api(`/api/runs/${runId}/feedback`, { method: "POST", body: JSON.stringify({ rating, note }) }));
        document.getElementById("rate-saved").textContent = "saved";
      } catch (error) {
        document.getElementById("rate-saved").textContent = error.message;
      }
    });
  }
  const steps = document.getElementById("steps");
  const source = new EventSource(`/api/runs/${runId}/events`);
  source.onmessage = (message) => {
    const event = JSON.parse(message.data);
    if (event.type === "run_start") { setStatus("running"); document.getElementById("run-meta").textContent = `${event.model} · ${event.actions} · ${runId}`; }
    else if (event.type === "step") steps.append(renderStep(event, runId));
    else if (event.type === "context_condensed") steps.append(el("p", { class: "meta" }, "old observations condensed to fit the context"));
    else if (event.type === "run_end") document.getElementById("result").replaceChildren(renderResult(event.result));
  };
  source.addEventListener("end", (message) => {
    source.close();  // or EventSource reconnects, and the whole trace arrives again
    const outcome = JSON.parse(message.data);
    setStatus(outcome.status);
    if (outcome.status === "error" || outcome.status === "incomplete") document.getElementById("result").replaceChildren(renderResult(outcome));
  });
  closeView = () => source.close();
}

function showRating(feedback) {
  for (const rating of ["up", "down"]) {
    const button = document.getElementById(`rate-${rating}`);
    if (button) button.classList.toggle("chosen", Boolean(feedback && feedback.rating === rating));
  }
  if (feedback && feedback.note) document.getElementById("rate-note").value = feedback.note;
}

// Evals.

async function evalsPage() {
  show("evals");
  const evals = await api("/api/evals");
  document.getElementById("eval-rows").replaceChildren(...evals.map((item, index) => el("tr", {},
    el("td", {}, el("a", { href: `#/evals/${encodeURIComponent(item.name)}` }, item.name)),
    el("td", {}, String(item.meta.model ?? "")),
    el("td", {}, String(item.meta.actions ?? "")),
    el("td", {}, `${item.passed} / ${item.records}`),
    el("td", {}, el("input", { type: "radio", name: "a", value: item.name, ...(index === 1 ? { checked: "" } : {}) })),
    el("td", {}, el("input", { type: "radio", name: "b", value: item.name, ...(index === 0 ? { checked: "" } : {}) })))));
  document.getElementById("compare").addEventListener("click", () => {
    const a = document.querySelector("input[name=a]:checked"), b = document.querySelector("input[name=b]:checked");
    if (a && b) location.hash = `#/compare/${encodeURIComponent(a.value)}/${encodeURIComponent(b.value)}`;
  });
}

async function evalPage(name) {
  show("eval");
  document.getElementById("eval-name").textContent = name;
  const summary = await api(`/api/evals/${encodeURIComponent(name)}`);
  const ran = summary.ran.model ? `ran ${summary.ran.model} with ${summary.ran.actions} actions` : "no traces found";
  document.getElementById("eval-ran").textContent = `${ran} · ${summary.records.length} results · ${summary.failures.length} failed`;
  document.getElementById("eval-report").src = `/api/evals/${encodeURIComponent(name)}/report`;
}

async function comparePage(a, b) {
  show("compare-view");
  document.getElementById("compare-title").textContent = `A = ${a}   B = ${b}`;
  const comparison = await api(`/api/evals/compare?${new URLSearchParams({ a, b })}`);
  document.getElementById("compare-chart").innerHTML = comparison.chart;  // SVG the server built, its text escaped
  const rows = (items) => items.map((d) => el("tr", {}, el("td", {}, d.name), el("td", {}, d.metric), el("td", {}, d.a ?? ""),
    el("td", {}, d.b ?? ""), el("td", {}, d.diff ?? ""), el("td", {}, d.noise), el("td", {}, d.verdict)));
  document.getElementById("compare-suites").replaceChildren(...rows(comparison.suites));
  document.getElementById("compare-tasks").replaceChildren(...rows(comparison.tasks));
}

// Routing.

async function route() {
  closeView();
  closeView = () => {};
  const parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  try {
    if (parts[0] === "runs" && parts[1]) await runPage(parts[1]);
    else if (parts[0] === "evals" && parts[1]) await evalPage(parts[1]);
    else if (parts[0] === "evals") await evalsPage();
    else if (parts[0] === "compare" && parts[2]) await comparePage(parts[1], parts[2]);
    else await home();
  } catch (error) {
    view.replaceChildren(el("section", { class: "card" }, el("p", { class: "error" }, error.message), el("a", { href: "#/" }, "back to runs")));
  }
}

window.addEventListener("hashchange", route);
route();
