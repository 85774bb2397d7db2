// The public HTTP API (docs/openapi.yaml), and nothing else. Every call sends the session's key in
// `x-auth`; an error answer becomes an ApiError carrying the API's stable code and message.

import * as session from "./session";
import type {
  Accepted,
  DeliveryAttempt,
  JobResults,
  JobStatus,
  Preview,
  Recovery,
  Template,
  TemplateInput,
  WebhookEndpoint,
  WebhookInput,
} from "./types";

/** The API refuses request bodies above 6 MB (Lambda's payload limit). */
export const MAX_REQUEST_BYTES = 6 * 1024 * 1024;
/** Room left in a multipart body for the form fields around the file. */
const MULTIPART_OVERHEAD_BYTES = 16 * 1024;
export const MAX_UPLOAD_BYTES = MAX_REQUEST_BYTES - MULTIPART_OVERHEAD_BYTES;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let onUnauthenticated: (error: ApiError) => void = () => {};

/** What to do when the API refuses the key (the app signs out). */
export function setUnauthenticatedHandler(handler: (error: ApiError) => void): void {
  onUnauthenticated = handler;
}

interface Options {
  json?: unknown;
  form?: FormData;
  key?: string;
  base?: string;
}

function url(base: string, path: string): string {
  return base.replace(/\/+$/, "") + path;
}

async function send(method: string, path: string, options: Options = {}): Promise<Response> {
  const key = options.key ?? session.apiKey();
  const base = options.base ?? session.apiBase();
  const headers: Record<string, string> = {};
  if (key) headers["x-auth"] = key;
  let body: BodyInit | undefined;
  if (options.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(options.json);
  } else if (options.form) {
    body = options.form;
  }
  let response: Response;
  try {
    response = await fetch(url(base, path), { method, headers, body });
  } catch {
    const where = base || window.location.origin;
    throw new ApiError(0, "network_error", `Cannot reach the API at ${where}.`);
  }
  if (!response.ok) {
    const error = await toError(response);
    if (error.status === 401 && options.key === undefined) onUnauthenticated(error);
    throw error;
  }
  return response;
}

async function toError(response: Response): Promise<ApiError> {
  let code = `http_${response.status}`;
  let message = `The API answered ${response.status} ${response.statusText}.`;
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string } };
    if (body.error?.code) code = body.error.code;
    if (body.error?.message) message = body.error.message;
  } catch {
    // Not the API's JSON error (a proxy's page, say): the status line says enough.
  }
  if (response.status === 429) {
    const wait = response.headers.get("retry-after");
    if (wait) message += ` Try again in ${wait} s.`;
  }
  return new ApiError(response.status, code, message);
}

async function json<T>(method: string, path: string, options?: Options): Promise<T> {
  const response = await send(method, path, options);
  return (await response.json()) as T;
}

const enc = encodeURIComponent;

/** Checks a key (and base URL) before the session keeps them. */
export async function checkKey(key: string, base: string): Promise<void> {
  await send("GET", "/templates", { key, base });
}

export const templates = {
  list: () => json<{ templates: Template[] }>("GET", "/templates").then((r) => r.templates),
  get: (id: string) => json<Template>("GET", `/templates/${enc(id)}`),
  create: (input: TemplateInput) => json<Template>("POST", "/templates", { json: input }),
  replace: (id: string, input: TemplateInput) =>
    json<Template>("PUT", `/templates/${enc(id)}`, { json: input }),
  remove: (id: string) => send("DELETE", `/templates/${enc(id)}`).then(() => undefined),
  /** Runs an unsaved template on a sample (`file`: base64 or a `data:` URL); nothing is stored. */
  preview: (file: string, template: TemplateInput) =>
    json<Preview>("POST", "/templates/preview", { json: { file, template } }),
};

export const webhooks = {
  /** Every endpoint of the tenant, of all its templates. */
  listAll: () => json<{ webhooks: WebhookEndpoint[] }>("GET", "/webhooks").then((r) => r.webhooks),
  list: (templateId: string) =>
    json<{ webhooks: WebhookEndpoint[] }>("GET", `/webhooks?template_id=${enc(templateId)}`).then(
      (r) => r.webhooks,
    ),
  /** One endpoint, with its secret. */
  get: (id: string) => json<WebhookEndpoint>("GET", `/webhooks/${enc(id)}`),
  create: (input: WebhookInput) => json<WebhookEndpoint>("POST", "/webhooks", { json: input }),
  update: (id: string, patch: Partial<WebhookInput>) =>
    json<WebhookEndpoint>("PATCH", `/webhooks/${enc(id)}`, { json: patch }),
  remove: (id: string) => send("DELETE", `/webhooks/${enc(id)}`).then(() => undefined),
  rotateSecret: (id: string) => json<WebhookEndpoint>("POST", `/webhooks/${enc(id)}/rotate-secret`),
  test: (id: string) => json<DeliveryAttempt>("POST", `/webhooks/${enc(id)}/test`),
  /** Sends again the deliveries to the endpoint that failed since `since` (at most 100 a call). */
  recover: (id: string, since: string) =>
    json<Recovery>("POST", `/webhooks/${enc(id)}/recover`, { json: { since } }),
  deliveries: (id: string) =>
    json<{ deliveries: DeliveryAttempt[] }>("GET", `/webhooks/${enc(id)}/deliveries?limit=100`).then(
      (r) => r.deliveries,
    ),
};

export const jobs = {
  submit: (form: FormData) => json<Accepted>("POST", "/process-job", { form }),
  get: (id: string) => json<JobStatus>("GET", `/jobs/${enc(id)}`),
  results: (id: string) => json<JobResults>("GET", `/jobs/${enc(id)}/results?format=json`),
  /** The results as a file: the API's own JSON or CSV bytes. */
  download: (id: string, format: "json" | "csv") =>
    send("GET", `/jobs/${enc(id)}/results?format=${format}`).then((r) => r.blob()),
  redeliver: (id: string, webhookIds: string[]) =>
    json<{ queued: number }>("POST", `/jobs/${enc(id)}/redeliver`, {
      json: { webhook_ids: webhookIds },
    }),
};
