// The dashboard pages through more services than one page shows, in headless Chromium.
// Run by tests/Robinhood.Controller.Tests/Dashboard/DashboardBrowserTests.cs, which starts a controller with
// services reporting and passes ROBINHOOD_DASHBOARD_URL (the page with ?pageSize=) and ROBINHOOD_SERVICES
// (every service, comma-separated, in the order /api/services lists them) and ROBINHOOD_SHARDS (each one's shard, in
// the same order; the replica owns all four).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch } from "./chromium.mjs";

const url = process.env.ROBINHOOD_DASHBOARD_URL;
const services = (process.env.ROBINHOOD_SERVICES ?? "").split(",").filter(s => s);
const shards = (process.env.ROBINHOOD_SHARDS ?? "").split(",").filter(s => s);
const pageSize = Number(new URL(url ?? "http://x/").searchParams.get("pageSize"));
const timeout = 30_000;

let browser;

before(async () => {
  assert.ok(url, "ROBINHOOD_DASHBOARD_URL is not set");
  assert.equal(shards.length, services.length, "ROBINHOOD_SHARDS names one shard per service");
  assert.ok(pageSize > 0 && services.length > 2 * pageSize, `need more than two pages: ${services.length} services, pageSize ${pageSize}`);
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

/** Waits until the page shows exactly these services, in this order, and this range, then returns nothing; fails saying what it showed. */
async function shows(page, expected, range) {
  const end = Date.now() + timeout;
  let seen;
  while (Date.now() < end) {
    seen = {
      services: await page.locator('[data-testid="service"]').evaluateAll(s => s.map(e => e.getAttribute("data-service"))),
      shards: await page.locator('[data-testid="shard"]').allTextContents(),
      range: (await page.locator('[data-testid="range"]').textContent())?.trim(),
    };
    const labels = expected.map(s => `shard ${shards[services.indexOf(s)]} · controlled here`);
    if (seen.range === range && seen.services.join(",") === expected.join(",") && seen.shards.join(",") === labels.join(",")) return;
    await page.waitForTimeout(100);
  }
  assert.fail(`not within ${timeout / 1000} s: wanted ${range} [${expected.join(",")}], shown ${seen.range} [${seen.services.join(",")}] [${seen.shards.join(",")}]`);
}

test("the page shows one page of services at a time, each with its shard, and pages through all of them in the API's order", async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", e => errors.push(e.message));
  assert.equal((await page.goto(url)).status(), 200);
  const n = services.length;
  const previous = page.locator('[data-testid="previous"]');
  const next = page.locator('[data-testid="next"]');

  await shows(page, services.slice(0, pageSize), `services 1–${pageSize} of ${n}`);
  assert.match(await page.locator('[data-testid="replica"]').textContent(), /^This replica \(.+\) leads shards 0, 1, 2, 3 of 4\.$/);
  assert.ok(await previous.isDisabled(), "previous is enabled on the first page");

  // Forward to the last page, which may be short.
  const pages = Math.ceil(n / pageSize);
  for (let p = 1; p < pages; p++) {
    assert.ok(await next.isEnabled(), `next is disabled on page ${p}`);
    await next.click();
    await shows(page, services.slice(p * pageSize, (p + 1) * pageSize), `services ${p * pageSize + 1}–${Math.min(n, (p + 1) * pageSize)} of ${n}`);
  }
  assert.ok(await next.isDisabled(), "next is enabled on the last page");

  // And back.
  await previous.click();
  const p = pages - 2;
  await shows(page, services.slice(p * pageSize, (p + 1) * pageSize), `services ${p * pageSize + 1}–${(p + 1) * pageSize} of ${n}`);
  assert.deepEqual(errors, [], "the page threw");
});
