// End-to-end: an endpoint pagewire switches off (its receiver answers 410 Gone) shows in a banner on every
// page, with its reason and a link to its page, until it is enabled again; the tenant's endpoint that
// subscribes to `webhook.endpoint_disabled` gets the signed event. Same environment as dashboard.test.mjs
// (scripts/lib/dashboard.sh); its endpoints are made through the API, then the pages are looked at.

import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { launchChromium } from "./browser.mjs";
import { DESKTOP, env, PHONE } from "./env.mjs";
import { eventType, signedBy, startReceiver } from "./receiver.mjs";

const BASE = env("PAGEWIRE_URL");
const KEY = env("PAGEWIRE_KEY");
const SAMPLE_PDF = env("PAGEWIRE_SAMPLE_PDF");
const SHOTS = env("SCREENSHOT_DIR");

let browser;
let page;
let gone;
let ops;
const state = {};

async function call(method, path, body) {
  const response = await fetch(`${BASE}${path}`, {
    method,
    headers: { "x-auth": KEY, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

async function until(what, check, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function shot(name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  gone = await startReceiver({ status: 410 });
  ops = await startReceiver();
  browser = await launchChromium();
  page = await (await browser.newContext({ viewport: DESKTOP })).newPage();
  page.setDefaultTimeout(15_000);
});

after(async () => {
  for (const id of [state.goneId, state.opsId]) {
    if (id) await fetch(`${BASE}/webhooks/${id}`, { method: "DELETE", headers: { "x-auth": KEY } });
  }
  if (state.templateId) {
    await fetch(`${BASE}/templates/${state.templateId}`, { method: "DELETE", headers: { "x-auth": KEY } });
  }
  await browser?.close();
  await gone?.close();
  await ops?.close();
});

test("a receiver that answers 410 gets its endpoint switched off, and the subscribed endpoint is told", async () => {
  const template = await call("POST", "/templates", {
    name: "endpoint events",
    fields: [{ name: "invoice_number", type: "text", rule: { kind: "label", label: "Invoice Number:" } }],
  });
  state.templateId = template.id;
  const main = await call("POST", "/webhooks", {
    template_id: template.id,
    name: "erp receiver",
    url: `${gone.url}/hooks/:id`,
  });
  state.goneId = main.id;
  const watcher = await call("POST", "/webhooks", {
    template_id: template.id,
    name: "operations",
    url: `${ops.url}/ops`,
    event_types: ["webhook.endpoint_disabled"],
  });
  state.opsId = watcher.id;
  await call("POST", "/process-job", {
    template_id: template.id,
    file_name: "invoice.pdf",
    actual_image: readFileSync(SAMPLE_PDF).toString("base64"),
  });
  const disabled = await until("the endpoint to be switched off", async () => {
    const now = await call("GET", `/webhooks/${main.id}`);
    return !now.enabled && now;
  });
  assert.match(disabled.disabled_reason, /410/);
  assert.ok(disabled.disabled_at);
  const told = await ops.waitFor((r) => eventType(r) === "webhook.endpoint_disabled");
  assert.ok(signedBy(told, watcher.secret), "signed with the watcher's secret");
  const event = JSON.parse(told.body);
  assert.equal(event.endpoint_id, main.id);
  assert.equal(event.url, main.url);
  assert.equal(ops.received.filter((r) => eventType(r) === "document.completed").length, 0);
});

test("every page shows the banner, with the reason and a link to the endpoint", async () => {
  await page.goto(`${BASE}/`);
  await page.getByLabel("API key").fill(KEY);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Templates", exact: true }).waitFor();
  const banner = page.locator(`#endpoint-alerts .banner.warning[data-endpoint-id="${state.goneId}"]`);
  await banner.waitFor();
  const text = await banner.innerText();
  assert.match(text, /erp receiver/);
  assert.match(text, /410 Gone/);
  await shot("20-endpoint-disabled-banner");
  for (const link of ["Jobs", "Studio", "Templates"]) {
    await page.getByRole("link", { name: link, exact: true }).click();
    await banner.waitFor();
  }
  await page.setViewportSize(PHONE);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= PHONE.width, `the banner fits the phone screen (${width} px)`);
  await shot("20b-endpoint-disabled-banner-phone");
  await page.setViewportSize(DESKTOP);

  await banner.getByRole("link", { name: "Open the endpoint" }).click();
  await page.waitForURL(new RegExp(`#/webhooks/${state.goneId}$`));
  await page.getByRole("heading", { name: "erp receiver" }).waitFor();
  await page.locator("[data-state=disabled]").waitFor();
});

test("enabling the endpoint again takes the banner away", async () => {
  await page.getByRole("button", { name: "Enable" }).click();
  await page.locator("[data-state=enabled]").waitFor();
  await page.locator("#endpoint-alerts .banner.warning").waitFor({ state: "detached" });
  await page.getByRole("link", { name: "Templates", exact: true }).click();
  await page.getByRole("heading", { name: "Templates", exact: true }).waitFor();
  await page.locator("table[aria-label=Templates]").waitFor();
  assert.equal(await page.locator("#endpoint-alerts .banner").count(), 0);
});
