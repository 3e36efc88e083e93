// Tests of the front against a fake backend (no PGlite): a Unix socket / named pipe server that
// answers a startup packet with AuthenticationOk + ReadyForQuery and each Query with a
// CommandComplete naming the query's length and first words, then ReadyForQuery.
import assert from "node:assert/strict";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { Front } from "./front.mjs";
import { FrameReader, PROTOCOL_3_0, cstr, frame, queryFrame, readCstr } from "./wire.mjs";

const msg = (type, body) => frame(type, body);
const ready = msg("Z", Buffer.from("I"));

let backend;
let backendPath;
let dir;
const backendConns = new Set();

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
    s.on("data", (d) => {
      r.push(d);
      for (;;) {
        if (!started) {
          const p = r.startup();
          if (!p) return;
          started = true;
          s.write(Buffer.concat([msg("R", Buffer.from([0, 0, 0, 0])), ready]));
          continue;
        }
        const m = r.message();
        if (!m) return;
        if (m.type === "Q") {
          const [sql] = readCstr(m.msg, 5);
          if (sql === "BREAK") {
            s.write(Buffer.from([0x45, 0, 0, 0, 1])); // a length no message has
            continue;
          }
          if (sql.startsWith("BIG ")) {
            // A large answer: n DataRows of 64 KiB.
            const n = Number(sql.slice(4));
            const row = msg("D", Buffer.alloc(65536, 0x61));
            for (let i = 0; i < n; i++) s.write(row);
            s.write(Buffer.concat([msg("C", cstr(`BIG ${n}`)), ready]));
            continue;
          }
          s.write(Buffer.concat([msg("C", cstr(`${sql.length} ${sql.slice(0, 60)}`)), ready]));
        } else if (m.type === "S") s.write(ready);
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
}

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
    assert.deepEqual((await c.start()).map((m) => m.type), ["R", "Z"]);
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
