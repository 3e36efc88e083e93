// pglite-server.mjs — nizepack's canonical PGlite server for Nize Desktop.
//
// Serves one Postgres database (with pgvector) from a PGlite data dir over the Postgres wire
// protocol on 127.0.0.1, for the API server sidecar. Bundled by `nizepack bundle-pglite` into
// resources/pglite/pglite-server.mjs and run by the bundled Node sidecar:
//
//   node pglite-server.mjs --db=<dir> [--port=<N>] [--database=<name>] [--max-connections=<N>] [--host=<addr>]
//
// Contract with the app:
//   - stdout carries exactly one line, {"port": N}, once the server accepts connections;
//     everything else (PGlite's own logging included) goes to stderr.
//   - The data dir is locked exclusively (<db>/.pglite-server.lock, created with O_EXCL, holding
//     the server's PID and the machine's boot time); a second server on the same dir exits 1 naming
//     the dir and the holder's PID. A lock whose holder is gone (a killed server, or a PID from
//     before a reboot) is taken over.
//   - Bad arguments: one usage line on stderr, exit 2. Any other failure (busy port, unreadable
//     dir, failed init): one line on stderr, exit 1, no stack trace.
//   - SIGTERM/SIGINT: stop accepting, close the database, release the lock, exit 0.

import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { vector } from "@electric-sql/pglite-pgvector";
import { PGlite } from "@electric-sql/pglite";
import { Console } from "node:console";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";

const NAME = "pglite-server";
const LOCK_FILE = ".pglite-server.lock";
const USAGE =
  "usage: pglite-server --db=<dir> [--port=<N>] [--database=<name>] [--max-connections=<N>] [--host=<addr>]";

// Everything but the port line goes to stderr, whoever logs it.
const stderrConsole = new Console({ stdout: process.stderr, stderr: process.stderr });
for (const k of ["log", "info", "debug", "warn", "error", "trace", "dir", "table"]) {
  globalThis.console[k] = stderrConsole[k].bind(stderrConsole);
}

class UsageError extends Error {}

// CleanError carries a message meant for the user as is.
class CleanError extends Error {}

function oneLine(err) {
  const msg = err && typeof err === "object" && "message" in err ? String(err.message) : String(err);
  return msg.split("\n").map((s) => s.trim()).filter(Boolean).join(" ") || "unknown error";
}

let lock = null; // { path, fd } while we hold the data dir
let exiting = false;

function fail(err) {
  if (exiting) return;
  exiting = true;
  const usage = err instanceof UsageError;
  process.stderr.write(`${NAME}: ${oneLine(err)}\n`);
  if (usage) process.stderr.write(`${USAGE}\n`);
  releaseLock();
  process.exit(usage ? 2 : 1);
}

process.on("uncaughtException", fail);
process.on("unhandledRejection", fail);

function parseOptions(argv) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        db: { type: "string" },
        port: { type: "string", default: "0" },
        database: { type: "string", default: "postgres" },
        "max-connections": { type: "string", default: "1" },
        host: { type: "string", default: "127.0.0.1" },
      },
    }));
  } catch (err) {
    throw new UsageError(oneLine(err));
  }
  if (!values.db) throw new UsageError("--db=<dir> is required");
  const port = intArg("--port", values.port, 0, 65535);
  const maxConnections = intArg("--max-connections", values["max-connections"], 1, 10000);
  if (!/^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/.test(values.database)) {
    throw new UsageError(`--database=${values.database} is not a valid database name (letters, digits, _ or -; at most 63)`);
  }
  if (!values.host) throw new UsageError("--host must not be empty");
  return { db: path.resolve(values.db), port, database: values.database, maxConnections, host: values.host };
}

function intArg(flag, s, min, max) {
  if (!/^\d+$/.test(s) || Number(s) < min || Number(s) > max) {
    throw new UsageError(`${flag}=${s} is not a whole number from ${min} to ${max}`);
  }
  return Number(s);
}

// mkdirAll is mkdir -p one level at a time (Node's recursive mkdir can spin forever on some
// file systems, /proc for one).
function mkdirAll(dir) {
  const missing = [];
  for (let d = dir; !fs.existsSync(d); d = path.dirname(d)) {
    if (path.dirname(d) === d) break;
    missing.unshift(d);
  }
  for (const d of missing) fs.mkdirSync(d);
}

function describeFsError(err) {
  switch (err && err.code) {
    case "EEXIST":
    case "ENOTDIR":
      return "it is not a directory";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "ENOENT":
      return "a parent folder cannot be created";
    case "EROFS":
      return "the file system is read-only";
    default:
      return (err && err.code) || oneLine(err);
  }
}

// pidAlive reports whether a process exists (EPERM: it exists but is not ours).
function pidAlive(pid) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === "EPERM";
  }
}

// bootTime is when this machine started, in seconds: a lock written before the last boot is
// stale even if its PID now belongs to some other process.
function bootTime() {
  return Math.round(Date.now() / 1000 - os.uptime());
}

// readHolder returns the lock's holder as { pid, boot }, undefined when there is no lock, or
// null when the file holds no PID (a crash while writing it).
function readHolder(lockPath) {
  let text;
  try {
    text = fs.readFileSync(lockPath, "utf8");
  } catch (err) {
    if (err.code === "ENOENT") return undefined;
    throw err;
  }
  const pid = Number.parseInt(text.trim().split(/\s+/)[0], 10);
  if (!Number.isInteger(pid)) return null;
  const m = /boot=(\d+)/.exec(text);
  return { pid, boot: m ? Number(m[1]) : null };
}

// holderAlive: the PID runs, and it was written during this boot (PIDs are reused after one).
function holderAlive(h) {
  if (!h || !pidAlive(h.pid)) return false;
  return h.boot === null || Math.abs(h.boot - bootTime()) < 120;
}

// acquireLock takes <db>/.pglite-server.lock with O_EXCL, writing our PID into it. A lock whose
// PID is no longer running (a server that was killed) is removed and taken over.
function acquireLock(dir) {
  try {
    mkdirAll(dir);
    if (!fs.statSync(dir).isDirectory()) throw Object.assign(new Error("not a directory"), { code: "ENOTDIR" });
    fs.accessSync(dir, fs.constants.R_OK | fs.constants.W_OK);
  } catch (err) {
    throw new CleanError(`cannot use data dir ${dir}: ${describeFsError(err)}`);
  }
  const lockPath = path.join(dir, LOCK_FILE);
  const deadline = Date.now() + 5000;
  for (;;) {
    if (Date.now() > deadline) throw new CleanError(`cannot lock data dir ${dir}: the lock ${lockPath} keeps changing`);
    let fd;
    try {
      fd = fs.openSync(lockPath, "wx", 0o644);
    } catch (err) {
      if (err.code !== "EEXIST") throw new CleanError(`cannot create lock ${lockPath}: ${describeFsError(err)}`);
      const holder = readHolder(lockPath);
      if (holder === undefined) continue; // released meanwhile: try again
      if (holder === null && fileAgeMs(lockPath) < 2000) {
        sleepMs(50); // just created, its PID not written yet
        continue;
      }
      if (holderAlive(holder)) {
        throw new CleanError(`data dir ${dir} is in use by another pglite-server (PID ${holder.pid}); stop it first`);
      }
      takeOverStaleLock(lockPath);
      continue;
    }
    fs.writeSync(fd, `${process.pid}\nboot=${bootTime()}\n`);
    fs.fsyncSync(fd);
    lock = { path: lockPath, fd };
    return;
  }
}

// takeOverStaleLock removes a lock whose holder is gone. It renames the lock aside first, which
// only one of several starting servers can do, and puts it back if what it moved turns out to
// be a live server's fresh lock.
function takeOverStaleLock(lockPath) {
  const aside = `${lockPath}.stale-${process.pid}`;
  try {
    fs.renameSync(lockPath, aside);
  } catch (err) {
    if (err.code === "ENOENT") return; // another server got there first
    throw new CleanError(`cannot remove stale lock ${lockPath}: ${describeFsError(err)}`);
  }
  if (holderAlive(readHolder(aside))) {
    try {
      fs.linkSync(aside, lockPath);
    } catch {}
  }
  try {
    fs.unlinkSync(aside);
  } catch {}
}

function fileAgeMs(p) {
  try {
    return Date.now() - fs.statSync(p).mtimeMs;
  } catch {
    return Infinity;
  }
}

function sleepMs(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function releaseLock() {
  if (!lock) return;
  const { path: p, fd } = lock;
  lock = null;
  try {
    fs.closeSync(fd);
  } catch {}
  try {
    const h = readHolder(p);
    if (h && h.pid === process.pid) fs.unlinkSync(p);
  } catch {}
}

// openDatabase opens PGlite on the named database. An existing one opens directly (one PGlite
// start); a missing one is created from the "postgres" database first, then PGlite reopens on it.
async function openDatabase(dir, database) {
  const open = async (name) => {
    const db = new PGlite({ dataDir: dir, database: name, extensions: { vector } });
    try {
      await db.waitReady;
    } catch (err) {
      await db.close().catch(() => {});
      throw err;
    }
    return db;
  };
  let db;
  try {
    let firstErr = null;
    if (database !== "postgres" && fs.existsSync(path.join(dir, "PG_VERSION"))) {
      db = await open(database).catch((err) => {
        firstErr = err;
        return undefined;
      });
    }
    if (!db) {
      db = await open("postgres");
      if (database !== "postgres") {
        const { rows } = await db.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
        if (rows.length > 0 && firstErr) throw firstErr; // it exists: opening failed for another reason
        if (rows.length === 0) await db.exec(`CREATE DATABASE "${database}"`);
        await db.close();
        db = undefined;
        db = await open(database);
      }
    }
    await db.exec("CREATE EXTENSION IF NOT EXISTS vector");
    return db;
  } catch (err) {
    if (db) await db.close().catch(() => {});
    throw new CleanError(`cannot open PGlite data dir ${dir} (database ${database}): ${oneLine(err)}`);
  }
}

// A signal may come at any time, even while PGlite is still starting: it ends the process with 0
// after closing whatever is open.
let db = null;
let server = null;
let opening = null;
let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  try {
    if (opening) db = await opening.catch(() => null);
    if (server) await server.stop();
    if (db) await db.close();
  } catch (err) {
    process.stderr.write(`${NAME}: stopping: ${oneLine(err)}\n`);
  }
  releaseLock();
  exiting = true;
  process.exit(0);
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
process.on("exit", releaseLock);

// checkPort fails fast on a fixed port that is already taken, before PGlite spends seconds
// starting. (The real listen below still reports a port taken in between.)
function checkPort(host, port) {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", (err) => reject(listenError(host, port, err)));
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

function listenError(host, port, err) {
  const why = err && err.code === "EADDRINUSE" ? "the port is already in use" : oneLine(err);
  return new CleanError(`cannot listen on ${host}:${port}: ${why}`);
}

async function main() {
  const opts = parseOptions(process.argv.slice(2));
  await checkPort(opts.host, opts.port);
  acquireLock(opts.db);
  opening = openDatabase(opts.db, opts.database);
  db = await opening;
  if (stopping) return;
  server = new PGLiteSocketServer({ db, host: opts.host, port: opts.port, maxConnections: opts.maxConnections });
  let port = opts.port;
  server.addEventListener("listening", (e) => {
    if (e.detail && typeof e.detail.port === "number") port = e.detail.port;
  });
  try {
    await server.start();
  } catch (err) {
    server = null;
    await db.close().catch(() => {});
    db = null;
    throw listenError(opts.host, opts.port, err);
  }
  if (stopping) return;
  process.stdout.write(`{"port": ${port}}\n`);
}

main().catch(fail);
