import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { acquireLock, bootTime, formatHolder, lockPathOf, parseHolder, releaseLock, startTime } from "./lock.mjs";

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "lock-test-"));

test("the holder's identity round-trips, and older locks still read", () => {
  const h = { pid: 4242, boot: 1700000000, start: 1700000123456, exlock: true };
  assert.deepEqual(parseHolder(formatHolder(h)), h);
  assert.deepEqual(parseHolder("17\nboot=1000\n"), { pid: 17, boot: 1000, start: null, exlock: false });
  assert.deepEqual(parseHolder("17\n"), { pid: 17, boot: null, start: null, exlock: false });
  assert.equal(parseHolder(""), null);
  assert.equal(parseHolder("garbage"), null);
  assert.ok(Math.abs(startTime() - (Date.now() - process.uptime() * 1000)) < 1000);
});

test("the lock lives beside the data dir", () => {
  assert.equal(lockPathOf("/a/b/data"), path.resolve("/a/b/.data.pglite-server.lock"));
});

test("a held lock refuses a second holder, naming the PID; released, it is gone", () => {
  const dir = path.join(tmp(), "data");
  const lock = acquireLock(dir);
  const text = fs.readFileSync(lockPathOf(dir), "utf8");
  assert.equal(parseHolder(text).pid, process.pid);
  assert.equal(parseHolder(text).boot, bootTime());
  // This process holds it: on Linux /proc says so, elsewhere the PID runs.
  assert.throws(() => acquireLock(dir), new RegExp(`is in use by another pglite-server \\(PID ${process.pid}\\); stop it first`));
  releaseLock(lock);
  assert.equal(fs.existsSync(lockPathOf(dir)), false);
});

test("a dead holder's lock and its postmaster.pid are taken over", () => {
  const dir = path.join(tmp(), "data");
  fs.mkdirSync(dir);
  fs.writeFileSync(lockPathOf(dir), formatHolder({ pid: 2 ** 31 - 2, boot: bootTime() }));
  fs.writeFileSync(path.join(dir, "postmaster.pid"), "torn");
  const lock = acquireLock(dir);
  assert.equal(parseHolder(fs.readFileSync(lockPathOf(dir), "utf8")).pid, process.pid);
  assert.equal(fs.existsSync(path.join(dir, "postmaster.pid")), false);
  releaseLock(lock);
});

test("a lock from before the last boot is stale even when its PID runs", () => {
  const dir = path.join(tmp(), "data");
  fs.mkdirSync(dir);
  fs.writeFileSync(lockPathOf(dir), "1\nboot=1000\n");
  releaseLock(acquireLock(dir));
});

test("a PID reused by a process that does not hold the lock is stale (Linux, macOS)", { skip: process.platform === "win32" }, async () => {
  const dir = path.join(tmp(), "data");
  fs.mkdirSync(dir);
  const other = spawn(process.execPath, ["-e", "setTimeout(() => {}, 30000)"], { stdio: "ignore" });
  try {
    await new Promise((resolve) => other.once("spawn", resolve));
    fs.writeFileSync(lockPathOf(dir), formatHolder({ pid: other.pid, boot: bootTime() }));
    releaseLock(acquireLock(dir));
  } finally {
    other.kill();
  }
});

test("a data dir that is a file is refused", () => {
  const f = path.join(tmp(), "file");
  fs.writeFileSync(f, "");
  assert.throws(() => acquireLock(f), /^Error: cannot use data dir .*file: it is not a directory$|cannot use data dir .*: it is not a directory/);
});
