// Builds the dashboard into dist/: one bundled, minified app.js (esbuild) plus the static files.
import { build } from "esbuild";
import { cpSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "dist");

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
cpSync(join(here, "static"), dist, { recursive: true });
// pdf.js renders in a worker, loaded from this origin (the page's CSP allows no other).
cpSync(join(here, "node_modules/pdfjs-dist/build/pdf.worker.min.mjs"), join(dist, "pdf.worker.min.mjs"));
await build({
  entryPoints: [join(here, "src/main.ts")],
  outfile: join(dist, "app.js"),
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: true,
  // No source map: the bundle is committed (see README), and its sources are next to it.
  sourcemap: false,
  logLevel: "warning",
});
console.log(`dashboard built in ${dist}`);
