import assert from "node:assert/strict";
import { test } from "node:test";
import { changesDatabases, copyFromStdin, statements } from "./sql.mjs";

// [sql, runs COPY ... FROM STDIN?]
const copyCases = [
  ["COPY t FROM STDIN", true],
  ["copy t from stdin", true],
  ["COPY public.t (a, b) FROM STDIN WITH (FORMAT csv)", true],
  ['COPY "T" FROM STDIN', true],
  ["COPY BINARY t FROM STDIN", true],
  ["SELECT 1; COPY t FROM STDIN", true],
  ["  \n\tCOPY\nt\nFROM\nSTDIN", true],
  // The measured bypasses of the old guard:
  ["SELECT '--'; COPY t FROM STDIN", true],
  ["SELECT '/*'; COPY t FROM STDIN; SELECT '*/'", true],
  ["/* a /* nested */ comment */ COPY t FROM STDIN", true],
  ["SELECT 1 /* /* */ */; COPY t FROM STDIN", true],
  ['SELECT "--"; COPY t FROM STDIN', true],
  ["SELECT $$--$$; COPY t FROM STDIN", true],
  ["SELECT E'\\'--'; COPY t FROM STDIN", true],
  ["COPY t FROM /* x */ STDIN", true],
  ["COPY t FROM -- x\nSTDIN", true],
  // With standard_conforming_strings off (a client may SET it), 'a\'' is one string: either
  // reading that finds a COPY refuses it.
  ["SELECT 'a\\''; COPY t FROM STDIN; --'", true],
  // Harmless queries the old guard refused, or that only look like one:
  ["SELECT $$COPY t FROM STDIN$$", false],
  ["SELECT $x$; COPY t FROM STDIN; $x$", false],
  ["SELECT E'it\\'s; COPY t FROM STDIN'", false],
  ["SELECT 'COPY t FROM STDIN'", false],
  ["SELECT 'it''s; COPY t FROM STDIN'", false],
  ['SELECT 1 AS "x; COPY t FROM STDIN"', false],
  ["-- COPY t FROM STDIN\nSELECT 1", false],
  ["/* COPY t FROM STDIN */ SELECT 1", false],
  ["/* /* */ COPY t FROM STDIN */ SELECT 1", false],
  ["SELECT 'a'\n'; COPY t FROM STDIN; --'", false], // one string, continued on a new line
  ["SELECT E'a'\n'\\'; COPY t FROM STDIN; --'", false], // a continued E'' keeps its escapes
  ["COPY t TO STDOUT", false],
  ["COPY (SELECT * FROM stdin) TO STDOUT", false],
  ["COPY t FROM '/tmp/f'", false],
  ["SELECT * FROM stdin", false],
  ["CREATE FUNCTION f() RETURNS text AS $body$ COPY t FROM STDIN $body$ LANGUAGE sql", false],
  ["SELECT a$b FROM t; SELECT 1", false],
  ["SELECT $1::text", false],
  ["", false],
];

test("COPY ... FROM STDIN, found by Postgres' lexical rules", () => {
  for (const [sql, want] of copyCases) assert.equal(copyFromStdin(sql), want, JSON.stringify(sql));
});

test("CREATE, DROP and ALTER DATABASE at a statement start", () => {
  const cases = [
    ["CREATE DATABASE x", true],
    ["drop database x", true],
    ["SELECT 1; ALTER DATABASE x SET a = 1", true],
    ["/* c */ CREATE /* d */ DATABASE x", true],
    ["SELECT 'CREATE DATABASE x'", false],
    ["SELECT $$; DROP DATABASE x$$", false],
    ["CREATE TABLE database (a int)", false],
    ["SELECT 1 -- ; DROP DATABASE x", false],
  ];
  for (const [sql, want] of cases) assert.equal(changesDatabases(sql), want, JSON.stringify(sql));
});

test("statements end at a ; outside quotes and comments", () => {
  const leads = (sql) => statements(sql).map((s) => s.lead.join(" "));
  assert.deepEqual(leads("select 1; select ';'; /* ; */ select $$;$$; select \"a;b\"; ;"), ["select <number>", "select <string>", "select <string>", "select <ident>"]);
  assert.deepEqual(leads("select 1 -- ;\n; insert into t values (1)"), ["select <number>", "insert into"]);
  assert.deepEqual(leads("select U&'\\0041;'; select u&\"a;\""), ["select <string>", "select <ident>"]);
  assert.deepEqual(leads("select x'ff;'; select b'1;'; select n'x;'"), ["select <string>", "select <string>", "select <string>"]);
});

test("unterminated quotes and comments run to the end", () => {
  for (const sql of ["SELECT 'x; COPY t FROM STDIN", "SELECT $a$ x; COPY t FROM STDIN", "/* /* */ COPY t FROM STDIN", 'SELECT "x; COPY t FROM STDIN']) {
    assert.equal(copyFromStdin(sql), false, sql);
  }
});

test("sessionEffects: what a statement leaves on the session", async () => {
  const { sessionEffects } = await import("./sql.mjs");
  const pick = (sql) => {
    const fx = sessionEffects(sql);
    const out = {};
    for (const [k, v] of Object.entries(fx)) if ((Array.isArray(v) && v.length) || v === true || (typeof v === "string" && v)) out[k] = v;
    return out;
  };
  assert.deepEqual(pick("SET search_path = nowhere"), {
    sets: [{ name: "search_path", reset: 'RESET "search_path"', sql: "SET search_path = nowhere" }],
  });
  assert.deepEqual(pick("select 1; SET SESSION work_mem TO '7MB'; select 2").sets.map((s) => s.sql), ["SET SESSION work_mem TO '7MB'"]);
  assert.deepEqual(pick("SET TIME ZONE 'UTC'").sets[0].name, "timezone");
  assert.deepEqual(pick("SET SCHEMA 'app'").sets[0].name, "search_path");
  assert.deepEqual(pick('set "MyApp".user_id = 5').sets[0].name, "myapp.user_id");
  assert.deepEqual(pick("SET LOCAL work_mem = '1MB'"), {});
  assert.deepEqual(pick("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE"), {});
  assert.deepEqual(pick("UPDATE t SET a = 1"), {});
  assert.deepEqual(pick("SELECT 'SET x = 1'"), {});
  assert.deepEqual(pick("RESET work_mem"), { resets: ["work_mem"] });
  assert.deepEqual(pick("RESET ALL"), { resetAll: true });
  assert.deepEqual(pick("PREPARE p(int) AS SELECT $1"), { prepares: ["p"] });
  assert.deepEqual(pick("DEALLOCATE PREPARE p"), { deallocates: ["p"] });
  assert.deepEqual(pick("CREATE TEMP TABLE IF NOT EXISTS pg_temp.\"T\" (a int)"), { tempTables: ["T"] });
  assert.deepEqual(pick("create local temporary table leak (a int)"), { tempTables: ["leak"] });
  assert.deepEqual(pick("CREATE TABLE t (a int)"), {});
  assert.deepEqual(pick("SELECT pg_advisory_lock(1)"), { advisory: true });
  assert.deepEqual(pick("SELECT pg_advisory_xact_lock(1)"), {});
  assert.deepEqual(pick("select set_config('a.b', 'x', false)"), { setConfig: true });
  for (const sql of ["LISTEN x", "discard all", "DEALLOCATE ALL", "deallocate prepare all", "SELECT 1; /* */ LISTEN x"]) {
    assert.match(pick(sql).refusal, /is not supported by pglite-server: its clients share one PGlite session/, sql);
  }
  assert.deepEqual(pick("SELECT 'LISTEN x'"), {});
  assert.deepEqual(pick("DISCARD TEMP"), {});
});
