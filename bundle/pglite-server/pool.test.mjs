import assert from "node:assert/strict";
import { test } from "node:test";
import { TurnQueue, renameMessage, sessionName, startupPacket, startupParams, startupSettings } from "./pool.mjs";
import { cstr, frame, readCstr } from "./wire.mjs";

const names = (buf, off, n) => {
  const out = [];
  for (let i = 0; i < n; i++) {
    const [s, next] = readCstr(buf, off);
    out.push(s);
    off = next;
  }
  return out;
};

test("sessionName: per client, the unnamed one unnamed, long names hashed into 63 bytes", () => {
  assert.equal(sessionName("s", 7, "sqlx_s_1"), "pgs_7_sqlx_s_1");
  assert.equal(sessionName("p", 7, "c"), "pgp_7_c");
  assert.equal(sessionName("s", 7, ""), "");
  const long = "stmtcache_" + "f".repeat(60);
  const a = sessionName("s", 12345, long);
  assert.ok(Buffer.byteLength(a) < 64, a);
  assert.notEqual(a, sessionName("s", 12345, `${long}x`));
  assert.equal(a, sessionName("s", 12345, long), "the same name maps to the same one");
});

test("renameMessage rewrites the names of Parse, Bind, Describe, Close and Execute", () => {
  const tail = Buffer.from([0, 1, 0, 0, 0, 23]);
  const p = renameMessage("P", frame("P", Buffer.concat([cstr("sqlx_s_1"), cstr("SELECT $1"), tail])), 3);
  assert.equal(p.statement, "sqlx_s_1");
  assert.deepEqual(names(p.msg, 5, 2), ["pgs_3_sqlx_s_1", "SELECT $1"]);
  assert.deepEqual([...p.msg.subarray(-6)], [...tail], "parameter types kept");
  assert.equal(p.msg.readInt32BE(1), p.msg.length - 1, "length fixed");

  const b = renameMessage("B", frame("B", Buffer.concat([cstr("cur"), cstr("sqlx_s_1"), tail])), 3);
  assert.deepEqual(names(b.msg, 5, 2), ["pgp_3_cur", "pgs_3_sqlx_s_1"]);
  assert.equal(b.statement, "sqlx_s_1");
  const bu = renameMessage("B", frame("B", Buffer.concat([cstr(""), cstr(""), tail])), 3);
  assert.deepEqual(names(bu.msg, 5, 2), ["", ""]);

  for (const t of ["D", "C"]) {
    const s = renameMessage(t, frame(t, Buffer.concat([Buffer.from("S"), cstr("x")])), 9);
    assert.equal(String.fromCharCode(s.msg[5]), "S");
    assert.deepEqual(names(s.msg, 6, 1), ["pgs_9_x"]);
    assert.equal(s.statement, "x");
    const q = renameMessage(t, frame(t, Buffer.concat([Buffer.from("P"), cstr("x")])), 9);
    assert.deepEqual(names(q.msg, 6, 1), ["pgp_9_x"]);
    assert.equal(q.statement, null);
  }
  const e = renameMessage("E", frame("E", Buffer.concat([cstr("cur"), Buffer.from([0, 0, 0, 5])])), 4);
  assert.deepEqual(names(e.msg, 5, 1), ["pgp_4_cur"]);
  assert.equal(e.msg.readInt32BE(e.msg.length - 4), 5);
  const q = frame("Q", cstr("SELECT 1"));
  assert.equal(renameMessage("Q", q, 4).msg, q);
});

test("startup parameters: read back, and the settings among them as SETs", () => {
  const params = startupParams(startupPacket({ user: "u", database: "d", DateStyle: "ISO, MDY", application_name: "it's\\x" }));
  assert.deepEqual([...params.keys()], ["user", "database", "DateStyle", "application_name"]);
  assert.deepEqual(startupSettings(params), [
    { name: "datestyle", sql: "SET datestyle TO E'ISO, MDY'", reset: "RESET datestyle" },
    { name: "application_name", sql: "SET application_name TO E'it\\'s\\\\x'", reset: "RESET application_name" },
  ]);
});

test("TurnQueue: first in, first out; a waiter that waits too long is taken out and told", async () => {
  const timedOut = [];
  const q = new TurnQueue({ onTimeout: (item, waited) => timedOut.push([item, waited]) });
  q.push("a");
  q.push("b", 50);
  q.push("a"); // already in
  q.push("c");
  assert.equal(q.length, 3);
  assert.equal(q.shift(), "a");
  await new Promise((resolve) => setTimeout(resolve, 120));
  assert.equal(timedOut.length, 1);
  assert.equal(timedOut[0][0], "b");
  assert.ok(timedOut[0][1] >= 45);
  assert.equal(q.shift(), "c");
  assert.equal(q.shift(), undefined);
  q.push("d", 30);
  assert.ok(q.remove("d"));
  assert.ok(!q.remove("d"));
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.equal(timedOut.length, 1, "a removed waiter never times out");
});
