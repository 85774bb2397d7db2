// A local webhook receiver for the end-to-end tests: records every request (headers and raw body) and
// answers 200 (or `status`), and checks Standard Webhooks signatures with a given secret.

import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";

export async function startReceiver({ status = 200 } = {}) {
  const received = [];
  const waiters = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const request = { method: req.method, path: req.url, headers: req.headers, body };
      received.push(request);
      res.writeHead(status, { "content-type": "text/plain" }).end(status < 300 ? "ok" : "gone");
      for (const waiter of waiters.splice(0)) waiter();
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    /** Waits until a request matches `predicate` (checked on every arrival), up to `timeoutMs`. */
    async waitFor(predicate, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = received.find(predicate);
        if (found) return found;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no matching webhook within ${timeoutMs} ms (${received.length} received)`);
        await new Promise((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** Whether one of the `v1,` signatures of `request` is the HMAC of its id, timestamp and body by `secret`. */
export function signedBy(request, secret) {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const id = request.headers["webhook-id"];
  const timestamp = request.headers["webhook-timestamp"];
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.${request.body}`).digest();
  return String(request.headers["webhook-signature"] ?? "")
    .split(" ")
    .filter((s) => s.startsWith("v1,"))
    .map((s) => Buffer.from(s.slice(3), "base64"))
    .some((sig) => sig.length === expected.length && timingSafeEqual(sig, expected));
}

export function eventType(request) {
  try {
    return JSON.parse(request.body).type;
  } catch {
    return undefined;
  }
}
