import assert from "node:assert/strict";
import { test } from "node:test";
import { BackendScanner, FrameReader, ProtocolError, frame, queryFrame, readCstr } from "./wire.mjs";

test("a message split into many chunks is reassembled whole", () => {
  const sql = `SELECT '${"y".repeat(1 << 20)}'`;
  const q = queryFrame(sql);
  const next = queryFrame("SELECT 2");
  const all = Buffer.concat([q, next]);
  for (const size of [1, 7, 4096, 65536]) {
    const r = new FrameReader();
    const got = [];
    for (let i = 0; i < all.length; i += size) {
      r.push(all.subarray(i, i + size));
      for (let m; (m = r.message()); ) got.push(m);
    }
    assert.equal(got.length, 2, `chunks of ${size}`);
    assert.equal(got[0].type, "Q");
    assert.equal(readCstr(got[0].msg, 5)[0], sql);
    assert.ok(got[1].msg.equals(next));
    assert.equal(r.length, 0);
  }
});

test("headers split across chunks are read", () => {
  const r = new FrameReader();
  const q = queryFrame("SELECT 1");
  r.push(q.subarray(0, 2));
  assert.equal(r.message(), null);
  r.push(q.subarray(2, 4));
  assert.equal(r.message(), null);
  r.push(q.subarray(4));
  assert.ok(r.message().msg.equals(q));
});

test("bad frames are protocol errors", () => {
  const bad = (bytes, re, startup = false) => {
    const r = new FrameReader();
    r.push(Buffer.from(bytes));
    assert.throws(() => (startup ? r.startup() : r.message()), (err) => err instanceof ProtocolError && err.code === "08P01" && re.test(err.message));
  };
  bad([0x00, 0x80, 0, 0, 0, 0, 0, 0], /invalid length of startup packet: 8388608/, true);
  bad([0x51, 0x80, 0, 0, 0], /invalid message length -2147483648 \(type Q\)/);
  bad([0x51, 0, 0, 0, 3], /invalid message length 3/);
  bad([0x00, 0, 0, 0, 8], /invalid frontend message type 0/);
});

test("a startup packet is read whole", () => {
  const body = Buffer.from("user\0u\0\0");
  const p = Buffer.alloc(8);
  p.writeInt32BE(8 + body.length);
  p.writeInt32BE(196608, 4);
  const r = new FrameReader();
  r.push(Buffer.concat([p, body]).subarray(0, 6));
  assert.equal(r.startup(), null);
  r.push(Buffer.concat([p, body]).subarray(6));
  assert.equal(r.startup().length, 8 + body.length);
});

test("the backend scanner counts ReadyForQuery across any chunking and keeps the status", () => {
  const stream = Buffer.concat([frame("C", Buffer.from("SELECT 1\0")), frame("Z", Buffer.from("T")), frame("D", Buffer.alloc(1000)), frame("Z", Buffer.from("I"))]);
  for (const size of [1, 3, 5, 6, 1000, stream.length]) {
    const s = new BackendScanner();
    let n = 0;
    const statuses = [];
    for (let i = 0; i < stream.length; i += size) {
      const k = s.scan(stream.subarray(i, i + size));
      n += k;
      if (k) statuses.push(s.status);
    }
    assert.equal(n, 2, `chunks of ${size}`);
    assert.equal(s.status, "I");
  }
  assert.throws(() => new BackendScanner().scan(Buffer.from([0x45, 0, 0, 0, 1])), ProtocolError);
});
