// The controller's live dashboard in headless Chromium, against a controller with a fleet reporting.
// Run by tests/Robinhood.Controller.Tests/Dashboard/DashboardBrowserTests.cs, which starts the
// controller and passes ROBINHOOD_DASHBOARD_URL (and ROBINHOOD_SERVICE, the demo fleet's service;
// ROBINHOOD_ADMIN_TOKEN, the admin API's token, for the test that changes the mode and pins an endpoint).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { launch } from "./chromium.mjs";

const url = process.env.ROBINHOOD_DASHBOARD_URL;
const service = process.env.ROBINHOOD_SERVICE ?? "demo";
const minEndpoints = Number(process.env.ROBINHOOD_MIN_ENDPOINTS ?? 12);
const screenshot = process.env.ROBINHOOD_SCREENSHOT
  ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../docs/dashboard.png");
const adminToken = process.env.ROBINHOOD_ADMIN_TOKEN;
const deadline = 60_000;

let browser;
let page;

before(async () => {
  assert.ok(url, "ROBINHOOD_DASHBOARD_URL is not set");
  browser = await launch();
  page = await browser.newPage({ viewport: { width: 1280, height: 700 } });
  const errors = [];
  page.on("pageerror", e => errors.push(e.message));
  page.errors = errors;
  const response = await page.goto(url);
  assert.equal(response.status(), 200);
});

after(async () => {
  await browser?.close();
});

const section = () => page.locator(`[data-testid="service"][data-service="${service}"]`);

/** What the service's section shows right now, read from the rendered DOM. */
const read = () => section().evaluate(s => ({
  maxAvg: s.querySelector('[data-testid="max-avg"]')?.textContent ?? "",
  frozen: s.querySelector('[data-testid="frozen"]') !== null,
  points: Number(s.querySelector('[data-testid="chart"]')?.getAttribute("data-points") ?? 0),
  mode: s.querySelector('[data-testid="mode"]')?.textContent.trim() ?? "",
  timeTicks: [...s.querySelectorAll('[data-testid="time-tick"]')].map(t => t.textContent.trim()),
  eventMarks: [...s.querySelectorAll('[data-testid="event-mark"]')].map(m => m.getAttribute("data-kind")),
  events: [...s.querySelectorAll('[data-testid="event"]')].map(e => ({ kind: e.getAttribute("data-kind"), text: e.textContent.trim() })),
  endpoints: [...s.querySelectorAll('[data-testid="endpoint"]')].map(r => ({
    endpoint: r.getAttribute("data-endpoint"),
    state: r.querySelector('[data-testid="state"]').textContent.trim(),
    weight: Number(r.querySelector('[data-testid="weight"]').textContent),
    override: r.querySelector('[data-testid="override"]').textContent.trim(),
    utilization: r.querySelector('[data-testid="utilization"]').textContent.trim(),
  })),
  terms: [...s.querySelectorAll('[data-testid="terms"]')].map(t => ({
    endpoint: t.getAttribute("data-endpoint"),
    capacity: t.querySelector('[data-testid="capacity"]')?.textContent.trim() ?? "",
  })),
}));

const ratio = text => Number(/max\/avg\s+([0-9.]+)/.exec(text)?.[1] ?? NaN);

/** Polls the page until check(view) returns nothing (the condition holds) or the deadline passes, then fails with why. */
async function until(check) {
  const end = Date.now() + deadline;
  let why = "never read";
  while (Date.now() < end) {
    if (await section().count() === 1) {
      const view = await read();
      why = check(view);
      if (!why) return view;
    } else {
      why = `no section for service ${service}: ${await page.locator('[data-testid="services"]').textContent()}`;
    }
    await page.waitForTimeout(250);
  }
  assert.fail(`not within ${deadline / 1000} s: ${why}`);
}

test("the demo service's section lists its endpoints, all ACTIVE with a weight and a utilization", async () => {
  const view = await until(v => v.endpoints.length < minEndpoints ? `${v.endpoints.length} endpoint rows`
    : v.endpoints.some(e => e.state !== "ACTIVE") ? `states ${v.endpoints.map(e => e.state).join(",")}` : undefined);

  assert.ok(view.endpoints.length >= minEndpoints);
  assert.equal(new Set(view.endpoints.map(e => e.endpoint)).size, view.endpoints.length, "endpoint rows repeat");
  for (const e of view.endpoints) {
    assert.ok(Number.isInteger(e.weight) && e.weight > 0, `weight of ${e.endpoint}: ${e.weight}`);
    assert.match(e.utilization, /^\d{1,3}\.\d%$/, `utilization of ${e.endpoint}`);
  }
  // The page redraws its tables as it polls: a cell read while being replaced is detached and has no
  // computed colour, so read again until the cell read is one in the page.
  let color = "";
  for (const end = Date.now() + deadline; !color && Date.now() < end; ) {
    color = await section().locator('[data-testid="state"]').first()
      .evaluate(el => el.isConnected ? getComputedStyle(el).color : "");
    if (!color) await page.waitForTimeout(50);
  }
  assert.equal(color, "rgb(21, 128, 61)", "ACTIVE is rendered green");
});

test("the loop is at work: weights differ between endpoints of the heterogeneous fleet", async () => {
  const view = await until(v => new Set(v.endpoints.map(e => e.weight)).size > 1 ? undefined
    : `weights all ${v.endpoints[0]?.weight}`);

  const weights = view.endpoints.map(e => e.weight);
  assert.ok(Math.max(...weights) / Math.min(...weights) > 1.5, `weights ${weights.join(",")} barely differ on a fleet with capacities 4x apart`);
  const mean = weights.reduce((a, b) => a + b, 0) / weights.length;
  assert.ok(Math.abs(mean - 1000) < 20, `mean weight ${mean}`);
});

test("max/avg converges under 1.2, the chart plots its history, and the page stays live", async () => {
  const view = await until(v => ratio(v.maxAvg) < 1.2 && v.points >= 2 && v.endpoints.every(e => e.state === "ACTIVE")
    ? undefined : `'${v.maxAvg}', ${v.points} chart points`);

  const value = ratio(view.maxAvg);
  assert.ok(value >= 1 && value < 1.2, `max/avg ${value}`);
  assert.equal(view.frozen, false, "the service shows FROZEN");
  assert.ok(view.points >= 2);
  const line = section().locator('[data-testid="chart"] polyline');
  assert.equal(await line.count(), 1, "the chart draws no line");
  assert.ok((await line.getAttribute("points")).trim().split(/\s+/).length >= 2);

  const status = page.locator('[data-testid="status"]');
  const first = await status.textContent();
  assert.match(first, /^updated /);
  await page.waitForFunction(([el, text]) => el.textContent !== text, [await status.elementHandle(), first], { timeout: 10_000 });
  assert.deepEqual(page.errors, [], "the page threw");

  await mkdir(path.dirname(screenshot), { recursive: true });
  await page.screenshot({ path: screenshot, fullPage: true });
});

test("endpoints are listed in numeric order and the history has a time axis", async () => {
  const view = await until(v => v.endpoints.length < minEndpoints ? `${v.endpoints.length} endpoint rows`
    : v.timeTicks.length < 2 ? `${v.timeTicks.length} time-axis labels` : undefined);

  const names = view.endpoints.map(e => e.endpoint);
  const octets = names.map(n => n.split(":")[0].split(".").map(Number));
  for (let i = 1; i < octets.length; i++) {
    const [a, b] = [octets[i - 1], octets[i]];
    const cmp = a.map((x, k) => x - b[k]).find(d => d !== 0) ?? 0;
    assert.ok(cmp < 0, `${names[i - 1]} is listed before ${names[i]}`);
  }
  assert.ok(names.indexOf("10.42.0.2:8080") < names.indexOf("10.42.0.10:8080"), `order ${names.join(",")}`);
  for (const t of view.timeTicks) assert.match(t, /\d{1,2}:\d{2}:\d{2}/, `time-axis label '${t}'`);
});

/** An admin API call on the controller that serves the dashboard. */
async function admin(method, path, body) {
  const r = await fetch(new URL(`/admin/services/${service}${path}`, url), {
    method,
    headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  assert.ok(r.ok, `${method} ${path}: ${r.status} ${await r.text()}`);
}

test("the mode and an override set through the admin API are read off the dashboard, marked on the history", async () => {
  assert.ok(adminToken, "ROBINHOOD_ADMIN_TOKEN is not set");
  const pinned = "10.42.0.3:8080";
  await admin("PUT", "/rollout", { mode: "Blend", fraction: 0.5 });
  await admin("PUT", `/endpoints/${pinned}/pin`, { weight: 1500 });

  const view = await until(v => {
    const row = v.endpoints.find(e => e.endpoint === pinned);
    return v.mode !== "Blend 50%" ? `mode '${v.mode}'`
      : row?.override !== "pinned 1500" || row.weight !== 1500 ? `row of ${pinned}: ${JSON.stringify(row)}`
      : !v.eventMarks.includes("Override") ? `event marks ${v.eventMarks.join(",")}` : undefined;
  });
  assert.ok(view.events.some(e => e.kind === "Override" && e.text.includes(pinned) && e.text.includes("pinned 1500")),
    `events ${JSON.stringify(view.events)}`);
  assert.ok(view.events.some(e => e.kind === "Override" && e.text.includes("mode Active → Blend 50%")), `events ${JSON.stringify(view.events)}`);

  // On demand: the capacity estimate and the loop's terms of one endpoint.
  const other = "10.42.0.5:8080";
  await section().locator(`[data-testid="endpoint"][data-endpoint="${other}"]`).click();
  const opened = await until(v => /^\d+\.\d req\/s at 100% CPU$/.test(v.terms.find(t => t.endpoint === other)?.capacity ?? "")
    ? undefined : `terms ${JSON.stringify(v.terms)}`);
  assert.ok(Number.parseFloat(opened.terms[0].capacity) > 0);

  await admin("PUT", "/rollout", { mode: "Active" });
  await admin("DELETE", `/endpoints/${pinned}/override`);
  await until(v => v.mode === "Active" && v.endpoints.find(e => e.endpoint === pinned)?.override === "" ? undefined : `mode '${v.mode}'`);
  assert.deepEqual(page.errors, [], "the page threw");
});
