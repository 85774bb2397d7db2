// End-to-end: the built dashboard in headless Chromium against a running `pagewire dev`, delivering to a
// local receiver. Needs PAGEWIRE_URL, PAGEWIRE_KEY, PAGEWIRE_SAMPLE_PDF and SCREENSHOT_DIR (scripts/lib/
// dashboard.sh sets them). Steps run in order and share one browser page, as a user's session would.

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
const SAMPLE_ZIP = env("PAGEWIRE_SAMPLE_ZIP");
const SHOTS = env("SCREENSHOT_DIR");

let browser;
let context;
let page;
let receiver;
const state = {};

async function shot(name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** The text of the error banner, once it shows. */
async function errorBanner() {
  const banner = page.locator(".banner.error");
  await banner.waitFor();
  return banner.innerText();
}

async function clipboard() {
  return page.evaluate(() => navigator.clipboard.readText());
}

/** Drops `bytes` as a file named `name` on the drop zone, as a drag from the desktop would. */
async function dropFile(name, bytes, type) {
  const transfer = await page.evaluateHandle(
    ({ name, base64, type }) => {
      const data = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([data], name, { type }));
      return transfer;
    },
    { name, base64: Buffer.from(bytes).toString("base64"), type },
  );
  const zone = page.locator(".dropzone");
  await zone.dispatchEvent("dragenter", { dataTransfer: transfer });
  await zone.dispatchEvent("dragover", { dataTransfer: transfer });
  await zone.dispatchEvent("drop", { dataTransfer: transfer });
}

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  receiver = await startReceiver();
  browser = await launchChromium();
  context = await browser.newContext({ viewport: DESKTOP, acceptDownloads: true });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: BASE });
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
});

after(async () => {
  await browser?.close();
  await receiver?.close();
});

test("a wrong API key is refused visibly; the right one signs in and stays in sessionStorage only", async () => {
  await page.goto(`${BASE}/`);
  await page.getByLabel("API key").waitFor();
  await shot("01-sign-in");
  await page.getByLabel("API key").fill("pw_not_a_real_key");
  await page.getByRole("button", { name: "Sign in" }).click();
  assert.match(await errorBanner(), /invalid_api_key/);

  await page.getByLabel("API key").fill(KEY);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Templates", exact: true }).waitFor();
  const stored = await page.evaluate(() => ({
    session: sessionStorage.getItem("pagewire.apiKey"),
    local: JSON.stringify({ ...localStorage }),
    cookies: document.cookie,
  }));
  assert.equal(stored.session, KEY);
  assert.ok(!stored.local.includes(KEY) && !stored.cookies.includes(KEY));
  await page.locator("table[aria-label=Templates]").waitFor();
  await shot("02-templates");
});

test("create a template with fields and rules, then edit it", async () => {
  await page.getByRole("link", { name: "New template" }).click();
  await page.getByLabel("Name").first().fill("E2E invoices");
  await page.getByLabel("Dates like 03/04/2024 read as").selectOption("month_day_year");
  await page.getByLabel("Decimal separator").selectOption(".");
  // The separator of a field shows for "all joined" only.
  assert.equal(await page.locator("fieldset.field-row").nth(0).locator("[name=field_separator]").isVisible(), false);
  await page.locator("fieldset.field-row").nth(0).locator("[name=field_match]").selectOption("join");
  assert.equal(await page.locator("fieldset.field-row").nth(0).locator("[name=field_separator]").isVisible(), true);
  await page.locator("fieldset.field-row").nth(0).locator("[name=field_match]").selectOption("first");
  const rows = page.locator("fieldset.field-row");
  await rows.nth(0).locator("[name=field_name]").fill("invoice_number");
  await rows.nth(0).locator("[name=rule_label]").fill("Invoice Number:");
  await page.getByRole("button", { name: "Add field" }).click();
  await rows.nth(1).locator("[name=field_name]").fill("total");
  await rows.nth(1).locator("[name=field_type]").selectOption("money");
  await rows.nth(1).locator("[name=rule_kind]").selectOption("regex");
  await rows.nth(1).locator("[name=rule_pattern]").fill("Total Due:\\s*(\\S+)");
  await page.getByRole("button", { name: "Add field" }).click();
  await rows.nth(2).locator("[name=field_name]").fill("invoice_date");
  await rows.nth(2).locator("[name=field_type]").selectOption("date");
  await rows.nth(2).locator("[name=rule_label]").fill("Invoice Date:");
  await shot("03-template-new");
  await page.getByRole("button", { name: "Create template" }).click();
  await page.waitForURL(/#\/templates\/[0-9a-f-]{36}$/);
  state.templateId = page.url().split("/").pop();

  // An invalid rule is the API's 400, shown to the user; the template keeps its fields.
  const row = page.locator("fieldset.field-row").nth(1);
  await row.locator("[name=rule_pattern]").fill("Total Due:\\s*(");
  await page.getByRole("button", { name: "Save template" }).click();
  assert.match(await errorBanner(), /invalid_template/);
  await row.locator("[name=rule_pattern]").fill("Total Due:\\s*(\\S+)");
  await page.getByLabel("Name").first().fill("E2E invoices (edited)");
  await page.getByRole("button", { name: "Save template" }).click();
  await page.locator(".banner.notice", { hasText: "saved" }).waitFor();
  await page.reload();
  await page.getByRole("heading", { name: "E2E invoices (edited)" }).waitFor();
  assert.equal(await page.locator("fieldset.field-row").count(), 3);
  assert.equal(await page.getByLabel("Decimal separator").inputValue(), ".");
  await shot("04-template");
});

test("an endpoint the API refuses shows its error; a local one is created with headers and auth", async () => {
  const form = page.locator("form.webhook-form");
  await form.getByLabel("Name").fill("refused");
  await form.getByLabel("URL").fill("http://10.1.2.3/hooks");
  await form.getByRole("button", { name: "Create endpoint" }).click();
  assert.match(await errorBanner(), /invalid_webhook/);

  await form.getByLabel("Name").fill("local receiver");
  await form.getByLabel("URL").fill(`${receiver.url}/hooks/:id`);
  await form.getByLabel("Method").first().selectOption("POST");
  await form.getByRole("button", { name: "Add header" }).click();
  await form.locator("[name=header_name]").fill("X-Tenant");
  await form.locator("[name=header_value]").fill("acme");
  await form.getByLabel("Type").selectOption("fixed");
  await form.getByLabel("Authorization value").fill("Bearer e2e-token");
  await form.getByRole("button", { name: "Create endpoint" }).click();
  await page.waitForURL(/#\/webhooks\/[0-9a-f-]{36}$/);
  state.endpointId = page.url().split("/").pop();
  await page.getByRole("heading", { name: "local receiver" }).waitFor();
  await shot("05-endpoint");
});

test("copy the endpoint ID; reveal and copy the secret; disable and enable", async () => {
  await page.getByRole("button", { name: "Copy ID" }).click();
  await page.locator(".banner.notice", { hasText: "Endpoint ID copied" }).waitFor();
  assert.equal(await clipboard(), state.endpointId);

  const secret = page.getByLabel("Signing secret");
  assert.equal(await secret.getAttribute("type"), "password");
  await page.getByRole("button", { name: "Reveal" }).click();
  assert.equal(await secret.getAttribute("type"), "text");
  state.secret = await secret.inputValue();
  assert.match(state.secret, /^whsec_[A-Za-z0-9+/=]+$/);
  await page.getByRole("button", { name: "Copy secret" }).click();
  assert.equal(await clipboard(), state.secret);

  await page.getByRole("button", { name: "Disable" }).click();
  await page.locator("[data-state=disabled]").waitFor();
  await page.getByRole("button", { name: "Enable" }).click();
  await page.locator("[data-state=enabled]").waitFor();
});

test("a test event reaches the receiver, signed with the revealed secret", async () => {
  await page.getByRole("button", { name: "Send test event" }).click();
  await page.locator(".test-result.ok", { hasText: "HTTP 200" }).waitFor();
  const delivered = await receiver.waitFor((r) => eventType(r) === "webhook.test");
  assert.ok(signedBy(delivered, state.secret), "the test event is signed with the shown secret");
  assert.equal(delivered.headers["x-tenant"], "acme");
  assert.equal(delivered.headers.authorization, "Bearer e2e-token");
});

test("a PDF dropped on the jobs page is processed to SUCCESS with its results", async () => {
  await page.getByRole("link", { name: "Jobs", exact: true }).click();
  await page.getByLabel("Template").selectOption(state.templateId);
  await shot("06-jobs-submit");

  // Larger than the API's 6 MB request limit: refused before sending, with a clear message.
  await dropFile("huge.pdf", Buffer.alloc(6 * 1024 * 1024 + 1, 0x20), "application/pdf");
  assert.match(await errorBanner(), /6 MB/);

  await dropFile("invoice.pdf", readFileSync(SAMPLE_PDF), "application/pdf");
  await page.waitForURL(/#\/jobs\/[0-9a-f-]{36}$/);
  state.jobId = page.url().split("/").pop();
  await page.locator(".job-status [data-status=SUCCESS]").waitFor({ timeout: 30_000 });
  await page.locator("table[aria-label=Documents] [data-status='PROCESS IMAGE SUCCESS']").waitFor();
  const results = page.locator("table[aria-label=Results]");
  assert.equal(await results.locator("[data-field=invoice_number]").innerText(), "INV-2024-001");
  assert.equal(await results.locator("[data-field=total]").innerText(), "1234.56");
  assert.equal(await results.locator("[data-field=invoice_date]").innerText(), "2024-03-15");

  const webhook = await receiver.waitFor((r) => eventType(r) === "document.completed");
  assert.ok(signedBy(webhook, state.secret));
  const payload = JSON.parse(webhook.body);
  assert.equal(payload.job_id, state.jobId);
  assert.equal(webhook.path, `/hooks/${payload.document_id}`);
  await page.locator("[data-delivery=succeeded]").waitFor();
  await shot("07-job");
});

test("the results download as CSV and JSON", async () => {
  const [csv] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download CSV" }).click()]);
  assert.equal(csv.suggestedFilename(), `pagewire-${state.jobId}.csv`);
  const csvText = readFileSync(await csv.path(), "utf8");
  assert.match(csvText.split("\n")[0], /invoice_number/);
  assert.match(csvText, /INV-2024-001/);

  const [json] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download JSON" }).click()]);
  const body = JSON.parse(readFileSync(await json.path(), "utf8"));
  assert.equal(body.job_id, state.jobId);
  assert.equal(body.documents[0].result.invoice_number, "INV-2024-001");
});

test("the delivery shows in the endpoint's attempts, and redeliver sends it again", async () => {
  await page.goto(`${BASE}/#/webhooks/${state.endpointId}`);
  const attempt = page.locator("tr.attempt", { hasText: "document.completed" });
  await attempt.waitFor();
  assert.equal(await attempt.locator(".pill").innerText(), "200");
  assert.match(await attempt.locator("td.num").first().innerText(), /^\d+ ms$/);
  await shot("08-deliveries");

  const first = receiver.received.filter((r) => eventType(r) === "document.completed");
  assert.equal(first.length, 1);
  await attempt.getByRole("button", { name: "Redeliver" }).click();
  await page.locator(".banner.notice", { hasText: "queued again" }).waitFor();
  const again = await receiver.waitFor((r) => eventType(r) === "document.completed" && r !== first[0]);
  assert.equal(again.headers["webhook-id"], first[0].headers["webhook-id"], "a redelivery keeps the webhook-id");
  await page.locator("tr.attempt", { hasText: "document.completed" }).nth(1).waitFor();
});

test("rotating the secret shows a new one; the old one still signs beside it", async () => {
  await page.getByRole("button", { name: "Rotate secret" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();
  assert.equal(await page.getByLabel("Signing secret").inputValue(), state.secret);

  await page.getByRole("button", { name: "Rotate secret" }).click();
  await shot("09-rotate-confirm");
  await page.getByRole("dialog").getByRole("button", { name: "Rotate secret" }).click();
  await page.locator(".banner.notice", { hasText: "New signing secret" }).waitFor();
  const rotated = await page.getByLabel("Signing secret").inputValue();
  assert.match(rotated, /^whsec_/);
  assert.notEqual(rotated, state.secret);

  const before = receiver.received.length;
  await page.getByRole("button", { name: "Send test event" }).click();
  const testEvent = await receiver.waitFor((r) => eventType(r) === "webhook.test" && receiver.received.indexOf(r) >= before);
  assert.ok(signedBy(testEvent, rotated), "signed with the new secret");
  assert.ok(signedBy(testEvent, state.secret), "and, for 24 hours, with the old one");
  await shot("10-endpoint-rotated");
});

test("the endpoint page resends failed deliveries since a time; none failed here", async () => {
  const section = page.locator("section.card", { hasText: "Recover after an outage" });
  assert.match(await section.getByLabel("Failed since").inputValue(), /^\d{4}-\d\d-\d\dT\d\d:\d\d$/);
  const before = receiver.received.length;
  await section.getByRole("button", { name: "Resend failed deliveries" }).click();
  await section.locator(".recover-result", { hasText: "0 failed deliveries queued again." }).waitFor();
  assert.equal(receiver.received.length, before, "every delivery had succeeded: nothing is sent again");
  await shot("10b-endpoint-recover");
});

test("a ZIP shows each of its documents, with a result row per entry", async () => {
  await page.getByRole("link", { name: "Jobs", exact: true }).click();
  await page.getByLabel("Template").selectOption(state.templateId);
  await dropFile("invoices.zip", readFileSync(SAMPLE_ZIP), "application/zip");
  await page.waitForURL((url) => /#\/jobs\/[0-9a-f-]{36}$/.test(url.hash) && !url.hash.endsWith(state.jobId));
  state.zipJobId = page.url().split("/").pop();
  await page.locator(".job-status [data-status=SUCCESS]").waitFor({ timeout: 30_000 });
  const documents = page.locator("table[aria-label=Documents] tbody tr");
  assert.equal(await documents.count(), 2);
  for (const name of ["march.pdf", "april.pdf"]) {
    const row = documents.filter({ hasText: name });
    await row.locator("[data-status='PROCESS IMAGE SUCCESS']").waitFor();
  }
  const numbers = page.locator("table[aria-label=Results] [data-field=invoice_number]");
  await numbers.nth(1).waitFor();
  assert.deepEqual(await numbers.allInnerTexts(), ["INV-2024-001", "INV-2024-001"]);
  await shot("11-job-zip");
});

test("the jobs list follows this session's jobs", async () => {
  await page.getByRole("link", { name: "Jobs", exact: true }).click();
  for (const id of [state.jobId, state.zipJobId]) {
    await page.locator(`tr[data-job-id="${id}"]`).locator("[data-status=SUCCESS]").waitFor();
  }
  assert.match(await page.locator(`tr[data-job-id="${state.zipJobId}"] td.num`).innerText(), /^2\/2$/);
  await shot("12-jobs");
});

test("at phone width (390 px) the pages fit the screen", async () => {
  await page.setViewportSize(PHONE);
  for (const [hash, name, ready] of [
    ["#/templates", "13-phone-templates", "table[aria-label=Templates]"],
    [`#/templates/${state.templateId}`, "14-phone-template", "table[aria-label='Webhook endpoints']"],
    [`#/webhooks/${state.endpointId}`, "15-phone-endpoint", "tr.attempt"],
    ["#/jobs", "16-phone-jobs", ".dropzone"],
    [`#/jobs/${state.jobId}`, "17-phone-job", "table[aria-label=Results]"],
  ]) {
    await page.goto(`${BASE}/${hash}`);
    await page.locator(ready).first().waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${name}: the page is ${overflow} px wider than the screen`);
    await shot(name);
  }
  await page.setViewportSize(DESKTOP);
});

test("deleting asks first: cancel keeps the endpoint, confirm removes it, then the template", async () => {
  await page.goto(`${BASE}/#/webhooks/${state.endpointId}`);
  await page.getByRole("button", { name: "Delete endpoint" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();
  await page.getByRole("heading", { name: "local receiver" }).waitFor();

  await page.getByRole("button", { name: "Delete endpoint" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Delete endpoint" }).click();
  await page.waitForURL(new RegExp(`#/templates/${state.templateId}$`));
  await page.getByText("No endpoints yet").waitFor();

  await page.getByRole("button", { name: "Delete template" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Delete template" }).click();
  await page.waitForURL(/#\/templates$/);
  await page.locator("table[aria-label=Templates]").waitFor();
  assert.equal(await page.locator(`tr[data-template-id="${state.templateId}"]`).count(), 0);
  const gone = await fetch(`${BASE}/templates/${state.templateId}`, { headers: { "x-auth": KEY } });
  assert.equal(gone.status, 404);
});

test("signing out forgets the key", async () => {
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByLabel("API key").waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem("pagewire.apiKey")), null);
});
