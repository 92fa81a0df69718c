// The demo page: long-polls /api/state and redraws; each button POSTs
// /api/run/<scenario>. No framework, no build step.
"use strict";
const $ = (id) => document.getElementById(id);
let version = 0;
let seenBundles = new Set();

function text(tag, content, cls) {
  const el = document.createElement(tag);
  if (content !== undefined && content !== null) el.textContent = String(content);
  if (cls) el.className = cls;
  return el;
}
const time = (ms) => new Date(ms).toLocaleTimeString();

function drawChecks(checks) {
  const box = $("checks");
  for (const c of checks || []) {
    let card = $("check-" + c.name);
    if (!card) {
      card = text("div");
      card.id = "check-" + c.name;
      card.append(text("h3", c.name), text("div", "", "host"), text("div", "", "agent"));
      box.append(card);
    }
    card.className = "check " + (c.ok ? "ok" : "bad");
    card.dataset.state = c.ok ? "ok" : "bad";
    card.querySelector(".host").textContent = (c.ok ? "✔ " : "✘ ") + c.host;
    card.querySelector(".agent").textContent = "agent: " + c.agent;
  }
}

function drawScenarios(list) {
  const box = $("scenarios");
  for (const s of list) {
    let card = $("scenario-" + s.name);
    if (!card) {
      card = text("div", null, "scenario");
      card.id = "scenario-" + s.name;
      const button = text("button", s.label);
      button.id = "run-" + s.name;
      button.addEventListener("click", () => fetch("/api/run/" + s.name, { method: "POST" }));
      const badge = text("span", "", "badge");
      badge.id = "status-" + s.name;
      card.append(button, text("p", s.expect), badge, text("p", "", "note"));
      box.append(card);
    }
    const badge = $("status-" + s.name);
    badge.textContent = s.status;
    badge.className = "badge " + s.status;
    badge.dataset.status = s.status;
    card.querySelector(".note").textContent = s.note || "";
  }
}

function drawFeed(received) {
  const body = $("feed").querySelector("tbody");
  body.textContent = "";
  for (const b of received) {
    const row = document.createElement("tr");
    row.dataset.kind = b.kind;
    row.dataset.check = b.check || "";
    row.dataset.outcome = b.outcome;
    row.dataset.reason = b.reason || "";
    row.dataset.verified = b.verified ? "yes" : "no";
    if (!seenBundles.has(b.bundle_id + b.at_ms)) {
      if (seenBundles.size > 0) row.className = "fresh";
      seenBundles.add(b.bundle_id + b.at_ms);
    }
    const verified = text("td", b.verified ? "✔" : "✘", b.verified ? "tick" : "cross");
    verified.title = b.note;
    row.append(text("td", b.seq), text("td", time(b.at_ms)), text("td", b.kind), text("td", b.check || "–"),
      text("td", b.outcome, "outcome-" + b.outcome), text("td", b.reason || "–"), text("td", b.detail || "", "detail"), verified);
    body.append(row);
  }
}

function draw(s) {
  $("appliance").textContent = `${s.site} / ${s.appliance}, polling every ${s.poll_secs} s`;
  $("agent-state").textContent = s.agent_state;
  $("mcp").textContent = s.mcp.up ? "up (" + s.mcp.url + ")" : "DOWN";
  $("mcp").className = s.mcp.up ? "" : "cross";
  $("dns").textContent = s.dns;
  const st = s.status || {};
  $("backlog").textContent = st.backlog === undefined ? "…" : st.backlog + " unpushed of " + st.stored;
  $("backlog").className = st.backlog > 0 ? "cross" : "";
  $("chain").textContent = st.chain_seq === undefined ? "…" : "seq " + st.chain_seq;
  $("last-cycle").textContent = st.last_cycle ? st.last_cycle + (st.mcp_reachable ? "" : " (MCP not reached)") : "…";
  $("agent-exit").hidden = !s.agent_exit;
  $("agent-exit").textContent = s.agent_exit || "";
  drawChecks(s.checks);
  drawScenarios(s.scenarios);
  drawFeed(s.received);
  const v = s.verify;
  $("verify").textContent = [v.unpack, v.agent, "# one bundle, with OpenSSL only:", v.openssl,
    v.chain,
    "# or straight from the appliance's database:", v.db].join("\n");
  $("notify").textContent = s.notify.map((n) => time(n.at_ms) + "  " + n.line).join("\n");
  $("events").textContent = s.events.map((e) => time(e.at_ms) + "  " + e.text).join("\n");
}

async function loop() {
  for (;;) {
    try {
      const r = await fetch("/api/state?since=" + version);
      const s = await r.json();
      version = s.version;
      draw(s);
    } catch (e) {
      $("agent-state").textContent = "the demo is not answering (stopped?)";
      await new Promise((ok) => setTimeout(ok, 1000));
    }
  }
}
loop();
