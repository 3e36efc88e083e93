import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { parseOptions } from "./args.mjs";
import { UsageError } from "./util.mjs";

test("defaults", () => {
  assert.deepEqual(parseOptions(["--db=data"]), {
    db: path.resolve("data"),
    port: 0,
    database: "postgres",
    maxConnections: 16,
    host: "127.0.0.1",
    parentPid: null,
    exitOnStdinClose: false,
  });
});

test("every flag", () => {
  const o = parseOptions(["--db", "/x/d", "--port=5432", "--database=nize", "--max-connections=16", "--host=::1", "--parent-pid=77", "--exit-on-stdin-close"]);
  assert.equal(o.port, 5432);
  assert.equal(o.database, "nize");
  assert.equal(o.maxConnections, 16);
  assert.equal(o.host, "::1");
  assert.equal(o.parentPid, 77);
  assert.equal(o.exitOnStdinClose, true);
});

test("usage errors", () => {
  const cases = [
    [[], /^--db=<dir> is required$/],
    [["--db=d", "--port=http"], /^--port=http is not a whole number from 0 to 65535$/],
    [["--db=d", "--port=65536"], /not a whole number/],
    [["--db=d", "--max-connections=0"], /^--max-connections=0 is not a whole number from 1 to 10000$/],
    [["--db=d", "--bogus"], /Unknown option '--bogus'/],
    [["--db=d", "extra"], /positional/i],
    [["--db=d", "--parent-pid=me"], /^--parent-pid=me is not a whole number/],
    [["--db=d", "--database=1x"], /not a valid database name/],
    [["--db=d", "--database=a b"], /not a valid database name/],
    [["--db=d", "--host="], /--host must not be empty/],
  ];
  for (const [argv, re] of cases) {
    assert.throws(() => parseOptions(argv), (err) => err instanceof UsageError && re.test(err.message), argv.join(" "));
  }
});
