// End-to-end: the template studio in headless Chromium against a running `pagewire dev`. On a sample PDF
// and on a sample PNG, a three-field template is built only by clicking and dragging (a label, a value,
// a region), saved, and the sample submitted as a job: the webhook carries the values the studio showed.
// Needs PAGEWIRE_URL, PAGEWIRE_KEY, PAGEWIRE_SAMPLE_PDF, PAGEWIRE_SAMPLE_PNG and SCREENSHOT_DIR (scripts/
// lib/dashboard.sh sets them). Every step is shot at desktop and at phone width.

import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { launchChromium } from "./browser.mjs";
import { DESKTOP, env, PHONE } from "./env.mjs";
import { eventType, startReceiver } from "./receiver.mjs";

const BASE = env("PAGEWIRE_URL");
const KEY = env("PAGEWIRE_KEY");
const SHOTS = join(env("SCREENSHOT_DIR"), "studio");

let browser;
let page;
let receiver;
/** The template each sample's test saved. */
const saved = {};

/** The page at desktop width, then at phone width (read-only there), then back. */
async function shot(name) {
  await page.screenshot({ path: join(SHOTS, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize(PHONE);
  await page.screenshot({ path: join(SHOTS, `${name}-phone.png`), fullPage: true });
  await page.setViewportSize(DESKTOP);
}

async function api(method, path, body) {
  const response = await fetch(`${BASE}${path}`, {
    method,
    headers: { "x-auth": KEY, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json();
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

/** The value the studio lists for `field`, once the preview has filled it in. */
async function shownValue(field) {
  const cell = page.locator(`tr[data-field="${field}"] td.value strong`);
  await cell.waitFor();
  await page.waitForFunction(
    (name) => {
      const el = document.querySelector(`tr[data-field="${name}"] td.value strong`);
      return el && el.textContent !== "…" && el.textContent !== "not found";
    },
    field,
  );
  return cell.innerText();
}

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  receiver = await startReceiver();
  browser = await launchChromium();
  const context = await browser.newContext({ viewport: DESKTOP });
  page = await context.newPage();
  page.setDefaultTimeout(30_000);
  await page.goto(`${BASE}/`);
  await page.getByLabel("API key").fill(KEY);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Templates", exact: true }).waitFor();
});

after(async () => {
  await browser?.close();
  await receiver?.close();
});

/** Builds the three fields on `sample` by pointing, saves, submits it, and checks the webhook. */
async function buildOn(kind, sample, mime) {
  const step = (n, what) => `${kind}-${n}-${what}`;
  await page.getByRole("link", { name: "Studio", exact: true }).click();
  await page.getByRole("heading", { name: "Template studio" }).waitFor();
  await page.getByLabel("Sample (PDF or image)").setInputFiles({ name: `invoice.${kind}`, mimeType: mime, buffer: readFileSync(sample) });
  await page.locator(`.page ${kind === "pdf" ? "canvas" : "img"}`).first().waitFor();
  await page.locator('.word[data-word="Number:"]').first().waitFor();
  await shot(step(1, "sample"));

  // 1. A click on "Number:" takes the label "Invoice Number:"; the value to its right is guessed.
  await page.locator('.word[data-word="Number:"]').first().click();
  await page.getByRole("heading", { name: "Label “Invoice Number:”" }).waitFor();
  await shot(step(2, "label-picked"));
  await page.getByRole("button", { name: "Add field", exact: true }).click();
  assert.equal(await shownValue("invoice_number"), "INV-2024-001");

  // 2. A click on a value finds its nearest label ("Total Due:") and guesses its type (money).
  await page.getByLabel("clicks a value").check();
  await page.locator('.word[data-word="$1,234.56"]').first().click();
  await page.getByRole("heading", { name: "Label “Total Due:”" }).waitFor();
  assert.equal(await page.getByLabel("Type of the new field").inputValue(), "money");
  await page.getByRole("button", { name: "Add field", exact: true }).click();
  assert.equal(await shownValue("total_due"), "1234.56");
  await shot(step(3, "value-picked"));

  // 3. A rectangle dragged around the vendor's name is a region rule.
  await page.getByLabel("drags a region").check();
  const first = await page.locator('.word[data-word="ACME"]').first().boundingBox();
  const last = await page.locator('.word[data-word="Corporation"]').first().boundingBox();
  await page.mouse.move(first.x - 4, first.y - 4);
  await page.mouse.down();
  await page.mouse.move((first.x + last.x) / 2, last.y + last.height / 2, { steps: 4 });
  await page.mouse.move(last.x + last.width + 4, last.y + last.height + 4, { steps: 4 });
  await page.mouse.up();
  await page.getByRole("heading", { name: "Region" }).waitFor();
  await page.getByRole("button", { name: "Add field", exact: true }).click();
  assert.equal(await shownValue("region"), "ACME Corporation");
  // Each value is outlined on its page.
  for (const name of ["invoice_number", "total_due", "region"]) {
    await page.locator(`.value-box[data-field="${name}"]`).waitFor();
  }
  await shot(step(4, "three-fields"));

  await page.getByRole("button", { name: "Save template" }).click();
  await page.locator(".banner.notice", { hasText: "saved" }).waitFor();
  await page.waitForURL(/#\/templates\/[0-9a-f-]{36}\/studio$/);
  const templateId = page.url().split("/").at(-2);
  saved[kind] = templateId;
  await shot(step(5, "saved"));
  const stored = await api("GET", `/templates/${templateId}`);
  assert.deepEqual(
    stored.fields.map((f) => [f.name, f.type, f.rule.kind]),
    [
      ["invoice_number", "text", "label"],
      ["total_due", "money", "label"],
      ["region", "text", "region"],
    ],
  );

  // The sample as a job: the webhook carries the values the studio showed.
  await api("POST", "/webhooks", { template_id: templateId, name: `studio ${kind}`, url: `${receiver.url}/studio/${kind}` });
  const accepted = await api("POST", "/process-job", {
    template_id: templateId,
    actual_image: readFileSync(sample).toString("base64"),
  });
  const delivered = await receiver.waitFor(
    (r) => r.path === `/studio/${kind}` && eventType(r) === "document.completed",
  );
  const body = JSON.parse(delivered.body);
  assert.equal(body.job_id, accepted.job_id);
  assert.deepEqual(body.result, { invoice_number: "INV-2024-001", total_due: 1234.56, region: "ACME Corporation" });
}

test("a three-field template built on a sample PDF by clicking and dragging delivers its values", async () => {
  await buildOn("pdf", env("PAGEWIRE_SAMPLE_PDF"), "application/pdf");
});

test("the same on a sample PNG read by OCR", async () => {
  await buildOn("png", env("PAGEWIRE_SAMPLE_PNG"), "image/png");
});

test("a saved template opens in the studio on a new sample, and saves in place", async () => {
  await page.goto(`${BASE}/#/templates/${saved.png}/studio`);
  await page.getByRole("heading", { name: "Template studio" }).waitFor();
  await page.locator('tr[data-field="total_due"]').waitFor();
  // The PNG's template on another sample of that invoice, a JPEG: the same three values (the region
  // too: the JPEG is the same page).
  await page.getByLabel("Sample (PDF or image)").setInputFiles(env("PAGEWIRE_SAMPLE_PNG").replace(/\.png$/, ".jpg"));
  await page.locator(".page img").first().waitFor();
  assert.equal(await shownValue("invoice_number"), "INV-2024-001");
  assert.equal(await shownValue("total_due"), "1234.56");
  assert.equal(await shownValue("region"), "ACME Corporation");
  await page.getByLabel("Template name").fill("Invoices (studio)");
  await page.getByLabel("Template name").blur();
  await page.getByRole("button", { name: "Save template" }).click();
  await page.locator(".banner.notice", { hasText: "saved" }).waitFor();
  const stored = await api("GET", `/templates/${saved.png}`);
  assert.equal(stored.name, "Invoices (studio)");
  assert.equal(stored.fields.length, 3);
  await shot("edit-on-new-sample");
});

test("find fields proposes label and value pairs, accepted or dismissed with one click", async () => {
  await page.getByRole("link", { name: "Studio", exact: true }).click();
  await page.getByLabel("Sample (PDF or image)").setInputFiles(env("PAGEWIRE_SAMPLE_PDF"));
  await page.locator(".word").first().waitFor();
  await page.getByRole("button", { name: "Find fields" }).click();
  const suggestions = page.getByRole("region", { name: "Suggested fields" });
  await suggestions.waitFor();
  await page.getByRole("button", { name: "Accept Invoice Date:" }).click();
  assert.equal(await shownValue("invoice_date"), "2024-03-15");
  await page.getByRole("button", { name: "Dismiss Total Due:" }).click();
  assert.equal(await page.locator('[data-suggestion="Total Due:"]').count(), 0);
  await shot("find-fields");

  // A file the API cannot read shows its error next to the upload.
  await page.getByLabel("Sample (PDF or image)").setInputFiles({ name: "notes.pdf", mimeType: "application/pdf", buffer: Buffer.from("not a pdf") });
  await page.locator(".studio-error", { hasText: "unsupported_file_type" }).waitFor();
  await shot("bad-sample");
});
