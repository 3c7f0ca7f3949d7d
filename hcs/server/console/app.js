// The console: follows the server's change stream (GET /events, Server-Sent Events) and
// redraws from the JSON API when something changed; it never polls. No build step.
"use strict";

let selected = null;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    node.append(child instanceof Node ? child : document.createTextNode(child ?? ""));
  }
  return node;
}

function badge(state) { return el("span", { class: `state ${state || ""}` }, state || "—"); }

async function getJSON(path) {
  const response = await fetch(path, { cache: "no-store", credentials: "same-origin" });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

function drawPrinters(data) {
  const body = document.querySelector("#printers tbody");
  body.replaceChildren(...data.printers.map((p) => el("tr", { "data-printer": p.name },
    el("td", {}, p.name + (p.groups.length ? ` (${p.groups.join(", ")})` : "")),
    el("td", {}, p.ae_title),
    el("td", {}, `${p.host}:${p.port}`),
    el("td", { title: p.status_error || p.status_info || "" }, badge(p.status || "unknown"),
       p.status_info && p.status_info !== p.status ? ` ${p.status_info}` : ""),
    el("td", {}, p.busy ? `job ${p.current_job} film ${p.current_film + 1}` : "idle"),
    el("td", {}, String(p.queued)),
    el("td", {}, String(p.films_printed)),
    el("td", { class: "instance" }, p.instance || "—"))));
}

function progress(job) {
  const printed = (job.film_states && job.film_states.printed) || 0;
  const bar = el("div", { class: "bar" }, el("span", { style: `width:${100 * printed / job.film_count}%` }));
  return el("td", {}, `${printed}/${job.film_count}`, bar);
}

function drawJobs(data) {
  const body = document.querySelector("#jobs tbody");
  body.replaceChildren(...data.jobs.map((job) => {
    const row = el("tr", { class: "clickable" + (job.id === selected ? " selected" : ""),
                           "data-job": job.id, "data-state": job.state,
                           onclick: () => { selected = job.id; schedule(); } },
      el("td", {}, job.id),
      el("td", {}, job.priority),
      el("td", {}, job.printer || job.target),
      el("td", { title: job.reason || "" }, badge(job.state)),
      progress(job),
      el("td", {}, new Date(job.created * 1000).toLocaleTimeString()),
      el("td", {}, ...actions(job)));
    return row;
  }));
  if (!selected && data.jobs.length) selected = data.jobs[0].id;
}

async function cancelJob(id) {
  // X-HCS-Client: the header a page on another site cannot send (docs/server.md).
  await fetch(`/jobs/${id}`, {
    method: "DELETE", credentials: "same-origin", headers: { "X-HCS-Client": "console" },
  });
  schedule();
}

// The buttons of a job's row: cancel, hold/release and priority while it waits, reprint
// when it is finished. Each is one POST of the HTTP API (docs/server.md).
function actions(job) {
  const button = (label, action, body) => el("button", {
    "data-action": action,
    onclick: (e) => { e.stopPropagation(); jobAction(job.id, action, body); } }, label);
  const waiting = ["queued", "printing", "preempted", "held"].includes(job.state);
  if (!waiting) return [button("Reprint", "reprint")];
  const out = [el("button", { "data-action": "cancel",
    onclick: (e) => { e.stopPropagation(); cancelJob(job.id); } }, "Cancel")];
  out.push(job.state === "held" ? button("Release", "release") : button("Hold", "hold"));
  for (const p of ["HIGH", "MED", "LOW"]) {
    if (p !== job.priority) out.push(button(p, "priority", { priority: p }));
  }
  return out;
}

async function jobAction(id, action, body) {
  // X-HCS-Client on every POST: hold, release and reprint have no JSON body, and the
  // server refuses a state-changing request with neither (docs/server.md).
  const init = { method: "POST", credentials: "same-origin", headers: { "X-HCS-Client": "console" } };
  if (body) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  await fetch(`/jobs/${id}/${action}`, init);
  schedule();
}

const previewStamp = {};

function drawDetail(job) {
  const section = document.getElementById("detail");
  section.hidden = false;
  document.getElementById("detail-id").textContent = job.id;
  const state = document.getElementById("detail-state");
  state.textContent = job.state; state.className = `state ${job.state}`;
  document.getElementById("detail-reason").textContent = job.reason || "";
  const films = document.getElementById("films");
  films.replaceChildren(...job.films.map((film) => {
    const key = `${job.id}/${film.index}`;
    if (film.preview && film.state !== previewStamp[key]) previewStamp[key] = film.state;
    const img = film.preview
      ? el("img", { src: `${film.preview_url}?s=${encodeURIComponent(previewStamp[key])}`,
                    alt: `film ${film.index + 1}` })
      : el("div", { class: "film-empty" }, "not formatted yet");
    const ops = el("ul", { class: "ops" }, ...(film.operations || []).map((op) =>
      el("li", {}, `${op.operation}: ${op.status_hex || "no answer"} ${op.category || ""}`)));
    return el("div", { class: "film", "data-film": film.index, "data-state": film.state },
      el("div", {}, `Film ${film.index + 1} `, badge(film.state),
         film.printer ? ` on ${film.printer}` : ""),
      img,
      ...film.warnings.map((w) => el("div", { class: "warn" }, "⚠ " + w)),
      ...film.notes.map((n) => el("div", { class: "warn" }, "ⓘ " + n)),
      film.reason ? el("div", { class: "warn" }, film.reason) : "",
      ops);
  }));
  document.getElementById("events").replaceChildren(...(job.events || []).map((e) =>
    el("li", {}, `${new Date(e.t * 1000).toLocaleTimeString()} ${e.text}`)));
}

// One redraw at a time, at most one per REDRAW_MS: a burst of changes (a job's films
// going formatting -> sending -> printed) costs one fetch of the state, not one each.
const REDRAW_MS = 100;
let timer = null;
let drawing = false;
let again = false;

function schedule() {
  if (timer === null) timer = setTimeout(() => { timer = null; refresh(); }, REDRAW_MS);
}

async function refresh() {
  if (drawing) { again = true; return; }
  drawing = true;
  const live = document.getElementById("live");
  try {
    const [printers, jobs] = await Promise.all([getJSON("/printers"), getJSON("/jobs?limit=100")]);
    drawPrinters(printers);
    drawJobs(jobs);
    if (selected) drawDetail(await getJSON(`/jobs/${selected}`));
    if (stream.readyState === EventSource.OPEN) {
      live.textContent = `live · ${new Date().toLocaleTimeString()}`;
      live.className = "live ok";
    }
  } catch (error) {
    live.textContent = `offline: ${error.message}`;
    live.className = "live";
  } finally {
    drawing = false;
    if (again) { again = false; schedule(); }
  }
}

// The server says "hello" on every (re)connection: the state is fetched once then, and
// again only after a "change". EventSource reconnects by itself (the server asks for
// 2 s) and sends the console's cookie (the token) like the other requests.
const stream = new EventSource("/events");
stream.addEventListener("hello", () => refresh());
stream.addEventListener("change", () => schedule());
stream.addEventListener("error", () => {
  const live = document.getElementById("live");
  live.textContent = "offline: reconnecting…";
  live.className = "live";
});
