// The Go/JS contract (contract.json) on the JS side: the server's names come from it, and the
// entry declares the seed format it names (the bundler makes a seed only for that). The Go side
// is checked by TestServerContract in bundle/server_test.go.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import contract from "./contract.json" with { type: "json" };
import { MANIFEST_FILE, SEED_FILE, SEED_META } from "./seed.mjs";

test("the seed module's names are the contract's", () => {
  assert.equal(SEED_FILE, contract.seedFile);
  assert.equal(SEED_META, contract.seedMeta);
  assert.equal(MANIFEST_FILE, contract.manifestFile);
});

test("the entry declares the contract's seed format", () => {
  const main = fs.readFileSync(new URL("./main.mjs", import.meta.url), "utf8");
  const m = /nizepack-pglite-server:\s*seed-format=(\d+)/.exec(main);
  assert.ok(m, "main.mjs declares no seed format");
  assert.equal(Number(m[1]), contract.seedFormat);
});
