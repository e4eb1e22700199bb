// The dashboard against a controller that requires a read token (Robinhood:Read:Token), in headless Chromium.
// Run by tests/Robinhood.Controller.Tests/Dashboard/DashboardBrowserTests.cs, which starts the controller with
// the demo fleet and passes ROBINHOOD_DASHBOARD_URL, ROBINHOOD_SERVICE and ROBINHOOD_READ_TOKEN.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch } from "./chromium.mjs";

const url = process.env.ROBINHOOD_DASHBOARD_URL;
const service = process.env.ROBINHOOD_SERVICE ?? "demo";
const token = process.env.ROBINHOOD_READ_TOKEN;
const timeout = 30_000;

let browser;

before(async () => {
  assert.ok(url, "ROBINHOOD_DASHBOARD_URL is not set");
  assert.ok(token, "ROBINHOOD_READ_TOKEN is not set");
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

/** A fresh browser context (its own sessionStorage) on the dashboard, collecting the page's errors. */
async function open() {
  const page = await (await browser.newContext()).newPage();
  page.errors = [];
  page.on("pageerror", e => page.errors.push(e.message));
  const response = await page.goto(url);
  assert.equal(response.status(), 200, "the page itself needs no token");
  return page;
}

const rows = page => page.locator(`[data-testid="service"][data-service="${service}"] [data-testid="endpoint"]`);

test("the page asks for the read token, refuses a wrong one, then shows the weights and keeps the token for the tab", async () => {
  const page = await open();
  const form = page.locator('[data-testid="token-form"]');
  await form.waitFor({ state: "visible", timeout });
  assert.equal(await rows(page).count(), 0, "data shown without a token");
  assert.match(await page.locator('[data-testid="status"]').textContent(), /enter the controller's read token/);

  await page.locator('[data-testid="token-input"]').fill("not-the-read-token-0123456789");
  await page.locator('[data-testid="token-submit"]').click();
  await page.locator('[data-testid="status"]', { hasText: "the read token was refused" }).waitFor({ timeout });
  assert.ok(await form.isVisible(), "the form went away after a wrong token");
  assert.equal(await rows(page).count(), 0, "data shown with a wrong token");

  await page.locator('[data-testid="token-input"]').fill(token);
  await page.locator('[data-testid="token-submit"]').click();
  await rows(page).first().waitFor({ timeout });
  await form.waitFor({ state: "hidden", timeout });
  const weights = await rows(page).locator('[data-testid="weight"]').allTextContents();
  assert.ok(weights.length > 0 && weights.every(w => Number(w) > 0), `weights ${weights.join(",")}`);
  assert.equal(await page.evaluate(() => sessionStorage.getItem("robinhood.readToken")), token);

  // A reload in the same tab keeps the token: the data comes back without asking.
  await page.reload();
  await rows(page).first().waitFor({ timeout });
  assert.ok(!(await form.isVisible()), "asked again after a reload");
  assert.deepEqual(page.errors, [], "the page threw");

  // Another session (a fresh context) is asked again.
  const other = await open();
  await other.locator('[data-testid="token-form"]').waitFor({ state: "visible", timeout });
  assert.equal(await other.evaluate(() => sessionStorage.getItem("robinhood.readToken")), null);
});
