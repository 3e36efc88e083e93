// Tests of the front against a fake backend (no PGlite): a Unix socket / named pipe server that
// answers a startup packet with AuthenticationOk + ParameterStatus + ReadyForQuery, each Query
// with a CommandComplete naming the query's length and first words, then ReadyForQuery, and the
// extended protocol with statements and portals kept by name like Postgres (42P05 for a name
// taken, 26000 for one missing). BEGIN, COMMIT and ROLLBACK set the transaction status; every
// message it gets is logged (backendLog) so the tests can see what ran on the session.
import assert from "node:assert/strict";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, beforeEach, test } from "node:test";
import { Front } from "./front.mjs";
import { FrameReader, PROTOCOL_3_0, SYNC, cstr, errorFrame, frame, queryFrame, readCstr } from "./wire.mjs";

const msg = (type, body) => frame(type, body);
const ready = (st = "I") => msg("Z", Buffer.from(st));

let backend;
let backendPath;
let dir;
const backendConns = new Set();
let backendLog = [];

beforeEach(() => {
  backendLog = [];
});

before(async () => {
  if (process.platform === "win32") backendPath = `\\\\.\\pipe\\front-test-${process.pid}`;
  else {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "front-test-"));
    backendPath = path.join(dir, "s");
  }
  backend = net.createServer((s) => {
    backendConns.add(s);
    s.on("close", () => backendConns.delete(s));
    const r = new FrameReader();
    let started = false;
    const statements = new Map();
    const portals = new Map();
    let tx = "I";
    let skipping = false;
    const fail = (code, text) => {
      s.write(errorFrame("ERROR", code, text));
      skipping = true;
      if (tx === "T") tx = "E";
    };
    s.on("data", (d) => {
      r.push(d);
      for (;;) {
        if (!started) {
          const p = r.startup();
          if (!p) return;
          started = true;
          s.write(Buffer.concat([msg("R", Buffer.from([0, 0, 0, 0])), msg("S", Buffer.concat([cstr("server_version"), cstr("17.4")])), ready()]));
          continue;
        }
        const m = r.message();
        if (!m) return;
        if (m.type === "Q") {
          const [sql] = readCstr(m.msg, 5);
          backendLog.push(`Q ${sql}`);
          if (sql === "BREAK") {
            s.write(Buffer.from([0x45, 0, 0, 0, 1])); // a length no message has
            continue;
          }
          if (sql.startsWith("BIG ")) {
            // A large answer: n DataRows of 64 KiB.
            const n = Number(sql.slice(4));
            const row = msg("D", Buffer.alloc(65536, 0x61));
            for (let i = 0; i < n; i++) s.write(row);
            s.write(Buffer.concat([msg("C", cstr(`BIG ${n}`)), ready(tx)]));
            continue;
          }
          statements.delete("");
          if (sql === "BEGIN") tx = "T";
          else if (sql === "COMMIT" || sql === "ROLLBACK") tx = "I";
          else if (sql === "DISCARD ALL") statements.clear();
          else if (/^SET /.test(sql)) s.write(msg("S", Buffer.concat([cstr("set"), cstr(sql)])));
          s.write(Buffer.concat([msg("C", cstr(`${sql.length} ${sql.slice(0, 60)}`)), ready(tx)]));
          continue;
        }
        if (m.type === "S") {
          backendLog.push("S");
          skipping = false;
          s.write(ready(tx));
          continue;
        }
        if (m.type === "H") continue;
        if (skipping) continue;
        const body = m.msg;
        if (m.type === "P") {
          const [name, off] = readCstr(body, 5);
          const [sql] = readCstr(body, off);
          backendLog.push(`P ${name} ${sql}`);
          if (name !== "" && statements.has(name)) fail("42P05", `prepared statement "${name}" already exists`);
          else {
            statements.set(name, sql);
            s.write(msg("1", Buffer.alloc(0)));
          }
        } else if (m.type === "B") {
          const [portal, off] = readCstr(body, 5);
          const [stmt] = readCstr(body, off);
          backendLog.push(`B ${portal} ${stmt}`);
          if (!statements.has(stmt)) fail("26000", `prepared statement "${stmt}" does not exist`);
          else {
            portals.set(portal, statements.get(stmt));
            s.write(msg("2", Buffer.alloc(0)));
          }
        } else if (m.type === "E") {
          const [portal] = readCstr(body, 5);
          backendLog.push(`E ${portal}`);
          if (!portals.has(portal)) fail("34000", `portal "${portal}" does not exist`);
          else s.write(msg("C", cstr(`EXEC ${portals.get(portal)}`)));
        } else if (m.type === "D" || m.type === "C") {
          const kind = String.fromCharCode(body[5]);
          const [name] = readCstr(body, 6);
          backendLog.push(`${m.type} ${kind} ${name}`);
          const map = kind === "S" ? statements : portals;
          if (m.type === "C") {
            map.delete(name);
            s.write(msg("3", Buffer.alloc(0)));
          } else if (!map.has(name)) fail("26000", `"${name}" does not exist`);
          else s.write(msg("n", Buffer.alloc(0)));
        }
      }
    });
  });
  await new Promise((resolve) => backend.listen(backendPath, resolve));
});

after(() => {
  backend.close();
  for (const s of backendConns) s.destroy();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function withFront(opts, fn) {
  const front = new Front({ maxConnections: 4, backendPath, ...opts });
  const port = await front.listen("127.0.0.1", 0);
  try {
    await fn(port, front);
  } finally {
    await front.close();
  }
}

// A raw client: sends what it is told, collects the backend's messages.
class Client {
  constructor(port) {
    this.sock = net.connect(port, "127.0.0.1");
    this.reader = new BackendMessages();
    this.waiters = [];
    this.closed = new Promise((resolve) => this.sock.on("close", resolve));
    this.sock.on("error", () => {});
    this.sock.on("data", (d) => {
      this.reader.push(d);
      this.wake();
    });
    this.sock.on("close", () => this.wake());
  }
  wake() {
    for (const w of this.waiters.splice(0)) w();
  }
  async next() {
    for (;;) {
      const m = this.reader.next();
      if (m) return m;
      if (this.sock.destroyed) return null;
      await new Promise((resolve) => this.waiters.push(resolve));
    }
  }
  // untilReady returns the messages up to and including ReadyForQuery (or the close).
  async untilReady() {
    const out = [];
    for (;;) {
      const m = await this.next();
      if (!m) return out;
      out.push(m);
      if (m.type === "Z") return out;
    }
  }
  async start() {
    const params = Buffer.from("user\0u\0database\0d\0\0");
    const st = Buffer.alloc(8);
    st.writeInt32BE(8 + params.length);
    st.writeInt32BE(PROTOCOL_3_0, 4);
    this.sock.write(Buffer.concat([st, params]));
    return this.untilReady();
  }
  async query(sql) {
    this.sock.write(queryFrame(sql));
    return this.untilReady();
  }
  // extended sends Parse (when sql is given), Bind, Execute and Sync for statement name.
  async extended(name, sql) {
    const parts = [];
    if (sql !== undefined) parts.push(parse(name, sql));
    parts.push(bind("", name), execute(""), SYNC);
    this.sock.write(Buffer.concat(parts));
    return this.untilReady();
  }
}

const parse = (name, sql) => frame("P", Buffer.concat([cstr(name), cstr(sql), Buffer.from([0, 0])]));
const bind = (portal, stmt) => frame("B", Buffer.concat([cstr(portal), cstr(stmt), Buffer.alloc(6)]));
const execute = (portal) => frame("E", Buffer.concat([cstr(portal), Buffer.alloc(4)]));
const close = (kind, name) => frame("C", Buffer.concat([Buffer.from(kind), cstr(name)]));
const errorCode = (msgs) => {
  const e = msgs.find((m) => m.type === "E");
  if (!e) return null;
  const f = {};
  for (const part of e.body.toString().split("\0")) if (part) f[part[0]] = part.slice(1);
  return `${f.S} ${f.C}: ${f.M}`;
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

class BackendMessages {
  constructor() {
    this.buf = Buffer.alloc(0);
  }
  push(d) {
    this.buf = Buffer.concat([this.buf, d]);
  }
  next() {
    if (this.buf.length < 5) return null;
    const len = this.buf.readInt32BE(1);
    if (this.buf.length < 1 + len) return null;
    const m = { type: String.fromCharCode(this.buf[0]), body: this.buf.subarray(5, 1 + len) };
    this.buf = this.buf.subarray(1 + len);
    return m;
  }
}

const commandTag = (msgs) => {
  const c = msgs.find((m) => m.type === "C");
  return c ? readCstr(c.body, 0)[0] : null;
};

test("a query passes through and its answer comes back", async () => {
  await withFront({}, async (port) => {
    const c = new Client(port);
    assert.deepEqual((await c.start()).map((m) => m.type), ["R", "S", "K", "Z"]);
    assert.equal(commandTag(await c.query("SELECT 1")), "8 SELECT 1");
    c.sock.end();
  });
});

test("COPY ... FROM STDIN is replaced by a refusal; harmless look-alikes pass", async () => {
  await withFront({}, async (port) => {
    const c = new Client(port);
    await c.start();
    assert.match(commandTag(await c.query("SELECT '--'; COPY t FROM STDIN")), /^\d+ DO \$pglite_server\$ BEGIN RAISE EXCEPTION USING ERRCODE = '0A/);
    assert.equal(commandTag(await c.query("SELECT $$COPY t FROM STDIN$$")), "28 SELECT $$COPY t FROM STDIN$$");
    c.sock.end();
  });
});

test("a message split into many small chunks arrives whole and in order", async () => {
  await withFront({}, async (port) => {
    const c = new Client(port);
    await c.start();
    const sql = `SELECT '${"x".repeat(3 << 20)}'`;
    const q = queryFrame(sql);
    // 3 MiB in 1000-byte writes, each flushed on its own.
    c.sock.setNoDelay(true);
    for (let i = 0; i < q.length; i += 1000) c.sock.write(q.subarray(i, i + 1000));
    assert.equal(commandTag(await c.untilReady()), `${sql.length} ${sql.slice(0, 60)}`);
    assert.equal(commandTag(await c.query("SELECT 2")), "8 SELECT 2");
    c.sock.end();
  });
});

test("a broken backend stream ends that client only", async () => {
  await withFront({}, async (port) => {
    const a = new Client(port);
    const b = new Client(port);
    await a.start();
    await b.start();
    const got = await a.query("BREAK");
    assert.ok(got.some((m) => m.type === "E"), "the client is told");
    await a.closed;
    assert.equal(commandTag(await b.query("SELECT 3")), "8 SELECT 3");
    const c = new Client(port);
    await c.start();
    assert.equal(commandTag(await c.query("SELECT 4")), "8 SELECT 4");
    b.sock.end();
    c.sock.end();
  });
});

test("a client that does not read pauses the backend instead of buffering without bound", async () => {
  await withFront({}, async (port, front) => {
    const c = new Client(port);
    await c.start();
    c.sock.pause(); // reads nothing
    c.sock.write(queryFrame("BIG 2000")); // 125 MiB of rows
    await new Promise((resolve) => setTimeout(resolve, 500));
    // The front has paused its backend connection: what it buffers for the client stays far
    // below the 125 MiB the backend has to send.
    const buffered = [...front.sockets].reduce((n, s) => n + s.writableLength, 0);
    assert.ok(buffered < 32 << 20, `the front buffered ${buffered} bytes for a client that reads nothing`);
    c.sock.resume();
    const msgs = await c.untilReady();
    assert.equal(commandTag(msgs), "BIG 2000");
    assert.equal(msgs.filter((m) => m.type === "D").length, 2000);
    c.sock.end();
  });
});

test("sqlx_s_1 prepared on five connections at once never collides", async () => {
  await withFront({ maxConnections: 16 }, async (port) => {
    const clients = [];
    for (let i = 0; i < 5; i++) {
      const c = new Client(port);
      await c.start();
      clients.push(c);
    }
    // Interleaved: each prepares sqlx_s_1 and sqlx_s_2, then runs them again and again.
    for (let round = 0; round < 3; round++) {
      const first = round === 0;
      const got = await Promise.all(
        clients.map(async (c, i) => [
          await c.extended("sqlx_s_1", first ? `SELECT ${i}` : undefined),
          await c.extended("sqlx_s_2", first ? `SELECT ${i} + 1` : undefined),
        ]),
      );
      got.forEach(([a, b], i) => {
        assert.equal(errorCode(a), null);
        assert.equal(commandTag(a), `EXEC SELECT ${i}`);
        assert.equal(commandTag(b), `EXEC SELECT ${i} + 1`);
      });
    }
    const parsed = backendLog.filter((l) => l.startsWith("P sqlx") || l.startsWith("P pgs_"));
    assert.equal(parsed.length, 10);
    assert.equal(new Set(parsed.map((l) => l.split(" ")[1])).size, 10, "ten names on the session");
    assert.ok(parsed.every((l) => /^P pgs_\d+_sqlx_s_[12] /.test(l)), parsed.join("\n"));
    for (const c of clients) c.sock.end();
  });
});

test("a leaving client's statements are closed; the last one to leave resets the session", async () => {
  await withFront({}, async (port) => {
    const a = new Client(port);
    const b = new Client(port);
    await a.start();
    await b.start();
    backendLog = []; // the front's own DISCARD ALL at its start is not the one looked for
    await a.extended("s1", "SELECT 1");
    await b.extended("s1", "SELECT 2");
    const aName = backendLog.find((l) => l.startsWith("P ") && l.endsWith("SELECT 1")).split(" ")[1];
    a.sock.end(frame("X", Buffer.alloc(0)));
    await a.closed;
    assert.equal(commandTag(await b.query("SELECT 3")), "8 SELECT 3");
    assert.ok(backendLog.includes(`C S ${aName}`), backendLog.join("\n"));
    assert.ok(!backendLog.includes("Q DISCARD ALL"), "b still uses the session");
    // b's statement is still there; then b leaves too: the session is reset.
    assert.equal(commandTag(await b.extended("s1")), "EXEC SELECT 2");
    b.sock.end();
    await b.closed;
    const c = new Client(port);
    await c.start();
    assert.equal(commandTag(await c.query("SELECT 4")), "8 SELECT 4");
    assert.ok(backendLog.includes("Q DISCARD ALL"), backendLog.join("\n"));
    assert.equal(errorCode(await c.extended("s1", "SELECT 5")), null, "c prepares s1 afresh");
    c.sock.end();
  });
});

test("a transaction runs alone: the others' messages wait for its end", async () => {
  await withFront({}, async (port) => {
    const a = new Client(port);
    const b = new Client(port);
    await a.start();
    await b.start();
    await a.query("BEGIN");
    const order = [];
    const bDone = b.query("SELECT 'b'").then((m) => order.push(commandTag(m)));
    await sleep(100);
    assert.deepEqual(order, [], "b waits while a is in a transaction");
    order.push(commandTag(await a.query("SELECT 'a'")));
    order.push(commandTag(await a.query("COMMIT")));
    await bDone;
    assert.deepEqual(order, ["10 SELECT 'a'", "6 COMMIT", "10 SELECT 'b'"]);
    a.sock.end();
    b.sock.end();
  });
});

test("a client that waits too long for its turn gets FATAL 57014; the others go on", async () => {
  await withFront({ turnTimeoutMs: 300 }, async (port) => {
    const a = new Client(port);
    const b = new Client(port);
    await a.start();
    await b.start();
    await a.query("BEGIN");
    const started = Date.now();
    const got = await b.query("SELECT 1");
    assert.match(errorCode(got), /^FATAL 57014: timed out after 0 s waiting for a turn on PGlite's one Postgres session/);
    assert.ok(Date.now() - started >= 250);
    await b.closed;
    assert.equal(commandTag(await a.query("COMMIT")), "6 COMMIT");
    a.sock.end();
  });
});

test("a client leaving in a transaction is rolled back before the next one's turn", async () => {
  await withFront({}, async (port) => {
    const a = new Client(port);
    const b = new Client(port);
    await a.start();
    await b.start();
    await a.query("BEGIN");
    // An unfinished batch too: Parse without Sync.
    a.sock.write(parse("x", "SELECT 1"));
    await sleep(50);
    const bDone = b.query("SELECT 2");
    a.sock.destroy();
    assert.equal(commandTag(await bDone), "8 SELECT 2");
    const i = backendLog.indexOf("Q ROLLBACK");
    assert.ok(i >= 0 && i < backendLog.indexOf("Q SELECT 2"), backendLog.join("\n"));
    assert.equal(backendLog[i - 1], "S", "the open batch is ended first");
    b.sock.end();
  });
});

test("the unnamed statement is parsed again when another client replaced it", async () => {
  await withFront({}, async (port) => {
    const a = new Client(port);
    const b = new Client(port);
    await a.start();
    await b.start();
    // sqlx's unprepared queries: Parse + Describe + Sync, then Bind + Execute + Sync.
    a.sock.write(Buffer.concat([parse("", "SELECT 'a'"), SYNC]));
    await a.untilReady();
    b.sock.write(Buffer.concat([parse("", "SELECT 'b'"), SYNC]));
    await b.untilReady();
    a.sock.write(Buffer.concat([bind("", ""), execute(""), SYNC]));
    assert.equal(commandTag(await a.untilReady()), "EXEC SELECT 'a'");
    b.sock.write(Buffer.concat([bind("", ""), execute(""), SYNC]));
    assert.equal(commandTag(await b.untilReady()), "EXEC SELECT 'b'");
    a.sock.end();
    b.sock.end();
  });
});

test("SET is per client: undone for the others' turns, set again for its own", async () => {
  await withFront({}, async (port) => {
    const a = new Client(port);
    const b = new Client(port);
    await a.start();
    await b.start();
    await a.query("SET search_path = a");
    backendLog = [];
    await b.query("SELECT 'b'");
    assert.deepEqual(backendLog, ['Q RESET "search_path"', "Q SELECT 'b'"]);
    backendLog = [];
    const got = await a.query("SELECT 'a'");
    assert.deepEqual(backendLog, ["Q SET search_path = a", "Q SELECT 'a'"]);
    // a is told the parameter it set again (a ParameterStatus), nothing else of the replay.
    assert.deepEqual(got.map((m) => m.type), ["S", "C", "Z"]);
    backendLog = [];
    await a.query("SELECT 'a2'");
    assert.deepEqual(backendLog, ["Q SELECT 'a2'"], "nothing to set again");
    a.sock.end();
    await a.closed;
    backendLog = [];
    await b.query("SELECT 'b2'");
    assert.deepEqual(backendLog, ['Q RESET "search_path"', "Q SELECT 'b2'"], "a's SET never reaches b");
    b.sock.end();
  });
});

test("LISTEN, DISCARD ALL and DEALLOCATE ALL are refused with 0A000", async () => {
  await withFront({}, async (port) => {
    const c = new Client(port);
    await c.start();
    for (const [sql, why] of [
      ["LISTEN x", "LISTEN is not supported by pglite-server: its clients share one PGlite session"],
      ["discard all", "DISCARD ALL is not supported by pglite-server"],
      ["DEALLOCATE PREPARE ALL", "DEALLOCATE ALL is not supported by pglite-server"],
    ]) {
      backendLog = [];
      await c.query(sql);
      assert.match(backendLog[0], /^Q DO \$pglite_server\$ BEGIN RAISE EXCEPTION USING ERRCODE = '0A000', MESSAGE = '/);
      assert.ok(backendLog[0].includes(why), backendLog[0]);
    }
    assert.equal(commandTag(await c.query("SELECT 'LISTEN x'")), "17 SELECT 'LISTEN x'");
    c.sock.end();
  });
});

test("SQL PREPARE, temp tables and advisory locks are undone when their client leaves", async () => {
  await withFront({}, async (port) => {
    const keep = new Client(port); // keeps the session shared, so no DISCARD ALL
    await keep.start();
    const a = new Client(port);
    await a.start();
    await a.query("PREPARE p AS SELECT 1");
    await a.query("CREATE TEMP TABLE t (a int)");
    await a.query("SELECT pg_advisory_lock(1)");
    a.sock.end();
    await a.closed;
    await keep.query("SELECT 1");
    for (const want of ['Q DEALLOCATE "p"', 'Q DROP TABLE IF EXISTS pg_temp."t"', "Q SELECT pg_advisory_unlock_all()"]) {
      assert.ok(backendLog.includes(want), `${want} in\n${backendLog.join("\n")}`);
    }
    keep.sock.end();
  });
});

test("one client too many gets FATAL 53300; a slot freed by a leaving client is taken at once", async () => {
  await withFront({ maxConnections: 2 }, async (port) => {
    const a = new Client(port);
    const b = new Client(port);
    await a.start();
    await b.start();
    const c = new Client(port);
    assert.match(errorCode(await c.start()), /^FATAL 53300: too many connections: this pglite-server serves --max-connections=2 clients at a time/);
    a.sock.end(frame("X", Buffer.alloc(0)));
    const d = new Client(port);
    assert.equal((await d.start()).at(-1).type, "Z");
    assert.equal(commandTag(await d.query("SELECT 1")), "8 SELECT 1");
    b.sock.end();
    d.sock.end();
  });
});
