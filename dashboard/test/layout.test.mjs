// Unit tests of the studio's reading of a page (src/studio/layout.ts): lines, type guesses, the label a
// click means, and the pairs Find fields proposes. The module is bundled by esbuild into memory first.

import assert from "node:assert/strict";
import { test } from "node:test";
import { build } from "esbuild";

const bundled = await build({
  entryPoints: [new URL("../src/studio/layout.ts", import.meta.url).pathname],
  bundle: true,
  format: "esm",
  write: false,
  logLevel: "error",
});
const layout = await import(`data:text/javascript;base64,${Buffer.from(bundled.outputFiles[0].text).toString("base64")}`);

/** Words of one page laid out as lines of text: each word 0.1 wide, lines 0.05 apart. */
function page(rows) {
  const words = [];
  rows.forEach((row, line) => {
    let x = 0.05;
    for (const text of row.split(" ").filter(Boolean)) {
      words.push({ text, box: { x, y: 0.05 + line * 0.05, width: 0.09, height: 0.02 }, confidence: 1, page: 1, index: words.length });
      x += 0.1;
    }
  });
  return words;
}
const word = (words, text) => words.find((w) => w.text === text);

test("values read as dates, money, numbers or text", () => {
  assert.equal(layout.guessType("2024-03-15"), "date");
  assert.equal(layout.guessType("15/03/2024"), "date");
  assert.equal(layout.guessType("March 15, 2024"), "date");
  assert.equal(layout.guessType("$1,234.56"), "money");
  assert.equal(layout.guessType("1.234,56"), "money");
  assert.equal(layout.guessType("EUR 12"), "money");
  assert.equal(layout.guessType("10"), "number");
  assert.equal(layout.guessType("INV-2024-001"), "text");
  assert.equal(layout.guessType("Globex Ltd"), "text");
});

test("field names come from labels and never repeat", () => {
  assert.equal(layout.fieldName("Invoice Number", []), "invoice_number");
  assert.equal(layout.fieldName("Total Due", ["total_due"]), "total_due_2");
  assert.equal(layout.fieldName("№ :", []), "field");
});

test("a click on a colon's word takes its line's label; the value is to its right or below", () => {
  const words = page(["Invoice Number: INV-1 Date: 2024-03-15", "Bill To:", "Globex Ltd"]);
  const run = layout.labelAt(words, word(words, "Number:"));
  assert.deepEqual(run.map((w) => w.text), ["Invoice", "Number:"]);
  const right = layout.guessFromLabel(words, run);
  assert.equal(right.label, "Invoice Number:");
  assert.equal(right.direction, "right");
  assert.deepEqual(right.valueWords.map((w) => w.text), ["INV-1"], "the value stops at the next label");
  const below = layout.guessFromLabel(words, layout.labelAt(words, word(words, "To:")));
  assert.equal(below.direction, "below");
  assert.deepEqual(below.valueWords.map((w) => w.text), ["Globex", "Ltd"]);
});

test("a value finds its nearest label: a colon's words to its left, else the line above", () => {
  const words = page(["Total Due: $1,234.56", "Amount", "42.00"]);
  const left = layout.guessFromValue(words, [word(words, "$1,234.56")]);
  assert.equal(left.label, "Total Due:");
  assert.equal(left.direction, "right");
  const over = layout.guessFromValue(words, [word(words, "42.00")]);
  assert.equal(over.label, "Amount");
  assert.equal(over.direction, "below");
  assert.equal(layout.guessFromValue(page(["alone"]), [word(page(["alone"]), "alone")]), null);
});

test("find fields proposes each label once, with a colon or a heading over a value", () => {
  const words = page(["Invoice Number: INV-1", "Invoice Date: 2024-03-15", "Qty", "10", "Notes", "some words"]);
  const found = layout.findFields(words).map((g) => [g.label, g.direction, layout.joinWords(g.valueWords)]);
  assert.deepEqual(found, [
    ["Invoice Number:", "right", "INV-1"],
    ["Invoice Date:", "right", "2024-03-15"],
    ["Qty", "below", "10"],
  ]);
});

test("a region holds the words whose centre is inside it", () => {
  const words = page(["ACME Corporation INVOICE"]);
  const inside = layout.wordsIn(words, { x: 0.04, y: 0.04, width: 0.2, height: 0.04 });
  assert.deepEqual(inside.map((w) => w.text), ["ACME", "Corporation"]);
});
