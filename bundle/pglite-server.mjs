// pglite-server.mjs — nizepack's canonical PGlite server for Nize Desktop.
//
// Serves one Postgres database (with pgvector) from a PGlite data dir over the Postgres wire
// protocol on 127.0.0.1, for the API server sidecar. Bundled by `nizepack bundle-pglite` into
// resources/pglite/pglite-server.mjs and run by the bundled Node sidecar:
//
//   node pglite-server.mjs --db=<dir> [--port=<N>] [--database=<name>] [--max-connections=<N>]
//                          [--host=<addr>] [--parent-pid=<N>] [--exit-on-stdin-close]
//
// nizepack-pglite-server: seed-format=2
//   (The line above declares to nizepack's bundler that this entry reads the seed it makes,
//   pglite-seed.tar.gz in that format; an entry without it gets no seed.)
//
// Contract with the app:
//   - stdout carries exactly one line once the server accepts connections, port first:
//     {"port": N, "database": "<served>", "seeded": true|false, "pglite": "<version>"}. "database" is the database
//     clients are served (PGlite 0.3.x serves template1 whatever --database says); "seeded"
//     says whether this start unpacked the seed. Readers that want the port alone (the app's
//     serde struct) ignore the rest. Everything else (PGlite's own logging included) goes to
//     stderr.
//   - The data dir is locked exclusively (.<name>.pglite-server.lock beside the data dir <name>:
//     PGlite 0.3.x runs initdb in place, which refuses a dir holding anything; created with O_EXCL, holding
//     the server's PID and the machine's boot time, and kept open for the server's life); a second
//     server on the same dir exits 1 naming the dir and the holder's PID. A lock whose holder is
//     gone (a killed server, a PID from before a reboot, or a PID now used by another process) is
//     taken over, and PGlite's own leftovers of the dead server (postmaster.pid) are removed.
//   - Bad arguments: one usage line on stderr, exit 2. Any other failure (busy port, unreadable
//     dir, failed init): one line on stderr, exit 1, no stack trace.
//   - SIGTERM/SIGINT, the death of --parent-pid, EOF on stdin with --exit-on-stdin-close: stop
//     accepting, CHECKPOINT and close the database, release the lock, exit 0.
//   - Clients: PGlite is ONE Postgres session. The server admits --max-connections clients at a
//     time (default 1) and refuses one more with SQLSTATE 53300; when the last client leaves it
//     rolls back and runs DISCARD ALL, so the next connection starts with a clean session. Frames
//     are checked before pglite-socket sees them (a bad one drops that client), and
//     COPY ... FROM STDIN, which would kill PGlite, fails with SQLSTATE 0A000 instead.

import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
// pgvector as the installed PGlite ships it: nizepack's bundler resolves this name to
// @electric-sql/pglite/vector (PGlite 0.3.x) or @electric-sql/pglite-pgvector (0.5.x and later),
// whichever matches the installed PGlite.
import { vector } from "nizepack:pglite-vector";
// The version of the PGlite bundled here (the bundler fills it in).
import { pgliteVersion } from "nizepack:pglite-info";
import { PGlite } from "@electric-sql/pglite";
import { Console } from "node:console";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import zlib from "node:zlib";

const NAME = "pglite-server";
const LOCK_FILE = ".pglite-server.lock";
// The seed `nizepack bundle-pglite` leaves beside the bundle: a gzipped tar of a first start's
// data dir whose first entry, SEED_META, names its database and the PGlite that made it.
const SEED_FILE = "pglite-seed.tar.gz";
const SEED_META = "pglite-seed.json";
const MANIFEST_FILE = "nizepack-manifest.json";
// Present in the data dir while a seed is being unpacked: a dir holding it is ours to clear.
const UNPACKING = ".pglite-seed-unpacking";
// Present while the databases a seeded first start writes after opening are owed (see
// deferredDb); it holds them until each is renamed into base/.
const PENDING = ".pglite-seed-pending";
const PENDING_SEED = "seed.sha256"; // in PENDING: the seed that owes them
const USAGE =
  "usage: pglite-server --db=<dir> [--port=<N>] [--database=<name>] [--max-connections=<N>] [--host=<addr>] [--parent-pid=<N>] [--exit-on-stdin-close]";

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
        "parent-pid": { type: "string" },
        "exit-on-stdin-close": { type: "boolean", default: false },
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
  const parentPid = values["parent-pid"] === undefined ? null : intArg("--parent-pid", values["parent-pid"], 1, 2 ** 31 - 1);
  return {
    db: path.resolve(values.db),
    port,
    database: values.database,
    maxConnections,
    host: values.host,
    parentPid,
    exitOnStdinClose: values["exit-on-stdin-close"],
  };
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

// holderAlive: the PID runs, it was written during this boot (PIDs are reused after one), and,
// where the OS can tell, that process holds the lock file open (a server keeps it open for its
// whole life; another process that got the PID later does not).
function holderAlive(h, lockPath) {
  if (!h || !pidAlive(h.pid)) return false;
  if (h.boot !== null && Math.abs(h.boot - bootTime()) >= 120) return false;
  return holdsLock(h.pid, lockPath) !== false;
}

// O_EXLOCK (macOS): open(2) takes a flock on the file, held until the holder's fd closes, which
// the kernel does when a process dies. Node has no constant for it.
const O_EXLOCK = process.platform === "darwin" ? 0x20 : 0;

// holdsLock reports whether pid has the lock file open: true, false, or null when the OS does
// not say (Windows; another user's process).
function holdsLock(pid, lockPath) {
  if (process.platform === "linux") {
    let want;
    try {
      want = fs.statSync(lockPath);
    } catch {
      return null;
    }
    let fds;
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch (err) {
      return err.code === "ENOENT" ? false : null;
    }
    for (const fd of fds) {
      try {
        const st = fs.statSync(`/proc/${pid}/fd/${fd}`);
        if (st.ino === want.ino && st.dev === want.dev) return true;
      } catch {}
    }
    return false;
  }
  if (O_EXLOCK) {
    // Whoever holds it, a live server holds its flock: if we can take it, nobody does.
    try {
      fs.closeSync(fs.openSync(lockPath, fs.constants.O_RDONLY | O_EXLOCK | fs.constants.O_NONBLOCK));
      return false;
    } catch (err) {
      return err.code === "EAGAIN" || err.code === "EWOULDBLOCK" ? true : null;
    }
  }
  return null;
}

// lockPathOf is the lock of data dir dir: beside it, not in it, because PGlite 0.3.x runs initdb
// on the dir itself and initdb refuses a dir that holds anything.
function lockPathOf(dir) {
  const abs = path.resolve(dir);
  return path.join(path.dirname(abs), `.${path.basename(abs)}${LOCK_FILE}`);
}

// acquireLock takes the data dir's lock (lockPathOf) with O_EXCL, writing our PID into it. A
// lock whose PID is no longer running (a server that was killed) is removed and taken over.
function acquireLock(dir) {
  try {
    mkdirAll(dir);
    if (!fs.statSync(dir).isDirectory()) throw Object.assign(new Error("not a directory"), { code: "ENOTDIR" });
    fs.accessSync(dir, fs.constants.R_OK | fs.constants.W_OK);
  } catch (err) {
    throw new CleanError(`cannot use data dir ${dir}: ${describeFsError(err)}`);
  }
  const lockPath = lockPathOf(dir);
  const deadline = Date.now() + 5000;
  for (;;) {
    if (Date.now() > deadline) throw new CleanError(`cannot lock data dir ${dir}: the lock ${lockPath} keeps changing`);
    let fd;
    try {
      const { O_WRONLY, O_CREAT, O_EXCL } = fs.constants;
      fd = fs.openSync(lockPath, O_WRONLY | O_CREAT | O_EXCL | O_EXLOCK, 0o644);
    } catch (err) {
      if (err.code !== "EEXIST") throw new CleanError(`cannot create lock ${lockPath}: ${describeFsError(err)}`);
      const holder = readHolder(lockPath);
      if (holder === undefined) continue; // released meanwhile: try again
      if (holder === null && fileAgeMs(lockPath) < 2000) {
        sleepMs(50); // just created, its PID not written yet
        continue;
      }
      if (holderAlive(holder, lockPath)) {
        throw new CleanError(`data dir ${dir} is in use by another pglite-server (PID ${holder.pid}); stop it first`);
      }
      takeOverStaleLock(lockPath);
      continue;
    }
    fs.writeSync(fd, `${process.pid}\nboot=${bootTime()}\n`);
    fs.fsyncSync(fd);
    lock = { path: lockPath, fd };
    removeStalePostmasterPid(dir);
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
  if (holderAlive(readHolder(aside), aside)) {
    try {
      fs.linkSync(aside, lockPath);
    } catch {}
  }
  try {
    fs.unlinkSync(aside);
  } catch {}
}

// removeStalePostmasterPid: holding our lock proves no live server uses the dir, so a
// postmaster.pid in it is the leftover of a PGlite that did not close (killed, or failed to
// open). PGlite fails to start on a damaged one.
function removeStalePostmasterPid(dir) {
  const p = path.join(dir, "postmaster.pid");
  try {
    fs.unlinkSync(p);
  } catch (err) {
    if (err.code === "ENOENT") return;
    throw new CleanError(`cannot remove the stale ${p}: ${describeFsError(err)}`);
  }
  process.stderr.write(`${NAME}: removed a stale ${p} (PGlite did not close last time)\n`);
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

// --- Seeded first start ---------------------------------------------------------------------------
// When the data dir is empty (or missing) and the seed beside the bundle holds the database
// asked for, the dir is unpacked from the seed and PGlite opens it like any existing dir: no
// initdb, no create-then-reopen. A non-empty dir is never touched; another database is created
// as before. A seed made with another PGlite than the one bundled (per the manifest beside the
// bundle) is refused, never loaded. Unpacking uses Node's zlib and the small tar reader below,
// no tar binary.

// besideBundle is a file next to this script (not `new URL(...)`: the bundler would take that
// for an asset to copy).
function besideBundle(name) {
  return path.join(path.dirname(fileURLToPath(import.meta.url)), name);
}

// dataDirEmpty: nothing in it.
function dataDirEmpty(dir) {
  return fs.readdirSync(dir).length === 0;
}

// clearInterruptedUnpack: a dir still marked as being unpacked holds only what an earlier,
// killed unpack wrote (the marker is written before anything else and removed last).
function clearInterruptedUnpack(dir, say = true) {
  if (!fs.existsSync(path.join(dir, UNPACKING))) return;
  for (const n of fs.readdirSync(dir)) {
    if (n === UNPACKING) continue;
    fs.rmSync(path.join(dir, n), { recursive: true, force: true });
  }
  fs.unlinkSync(path.join(dir, UNPACKING));
  if (say) process.stderr.write(`${NAME}: cleared an interrupted seed unpack in ${dir}\n`);
}

// tarHeader parses one 512-byte USTAR header: { name, type, mode, size }, or null for the
// end-of-archive block. Regular files ("0") and directories ("5") only, relative names
// without "..".
function tarHeader(h, what) {
  const str = (off, len) => {
    const s = h.subarray(off, off + len);
    const z = s.indexOf(0);
    return s.toString("utf8", 0, z < 0 ? len : z);
  };
  if (h.every((b) => b === 0)) return null;
  const prefix = str(345, 155);
  const name = (prefix ? `${prefix}/` : "") + str(0, 100);
  const size = parseInt(str(124, 12).trim() || "0", 8);
  const mode = parseInt(str(100, 8).trim() || "644", 8);
  const type = h[156] === 0 ? "0" : String.fromCharCode(h[156]);
  const clean = name.replace(/\/+$/, "");
  if (!Number.isSafeInteger(size) || size < 0) throw new CleanError(`${what} is damaged: entry ${clean} has no valid size`);
  if (!clean || clean.startsWith("/") || /\\|^[A-Za-z]:/.test(clean) || clean.split("/").some((p) => p === ".." || p === ".")) {
    throw new CleanError(`${what} has an entry with an unsafe name: ${JSON.stringify(name)}`);
  }
  if (type !== "0" && type !== "5") throw new CleanError(`${what}: entry ${clean} is of tar type ${JSON.stringify(type)}, not a file or directory`);
  return { name: clean, type, mode: Number.isNaN(mode) ? 0o644 : mode & 0o777, size };
}

const tarPadded = (size) => Math.ceil(size / 512) * 512;

// streamTarEntries yields { name, type, mode, data } for each entry of an uncompressed tar
// arriving as a stream of chunks (a gunzip stream): each entry comes as soon as its bytes are
// in, so the files are written while the rest is still being decompressed on another thread.
async function* streamTarEntries(chunks, what) {
  let parts = [];
  let have = 0;
  let need = 512;
  let h = null; // the entry whose data is awaited
  for await (const chunk of chunks) {
    parts.push(chunk);
    have += chunk.length;
    if (have < need) continue;
    const buf = parts.length === 1 ? parts[0] : Buffer.concat(parts, have);
    let off = 0;
    for (;;) {
      if (!h) {
        if (buf.length - off < 512) {
          need = 512;
          break;
        }
        h = tarHeader(buf.subarray(off, off + 512), what);
        if (!h) return;
        off += 512;
      }
      if (buf.length - off < tarPadded(h.size)) {
        need = tarPadded(h.size);
        break;
      }
      yield { ...h, data: buf.subarray(off, off + h.size) };
      off += tarPadded(h.size);
      h = null;
    }
    parts = off < buf.length ? [buf.subarray(off)] : [];
    have = buf.length - off;
  }
  if (h) throw new CleanError(`${what} is damaged: entry ${h.name} runs past the end`);
}

// readSeedMeta reads the seed's first entry, SEED_META, off its stream (openSeed), which then
// goes on with the data dir.
async function readSeedMeta(seed, seedPath) {
  let meta;
  try {
    const first = (await seed.entries.next()).value;
    if (!first || first.name !== SEED_META) throw new Error(`its first entry is not ${SEED_META}`);
    meta = JSON.parse(first.data.toString("utf8"));
  } catch (err) {
    throw new CleanError(`cannot read the seed ${seedPath}: ${oneLine(err)}`);
  }
  if (typeof meta.database !== "string" || typeof meta.pglite !== "string") {
    throw new CleanError(`cannot read the seed ${seedPath}: ${SEED_META} names no database or PGlite version`);
  }
  return meta;
}

// bundleManifest is what the manifest beside the bundle says about the seed: the PGlite version
// the bundle was made from and the seed's SHA-256.
function bundleManifest(seedPath) {
  const mpath = besideBundle(MANIFEST_FILE);
  let m;
  try {
    m = JSON.parse(fs.readFileSync(mpath, "utf8"));
  } catch (err) {
    throw new CleanError(`refusing the seed ${seedPath}: cannot tell which PGlite this bundle has from ${mpath} (${err.code || oneLine(err)})`);
  }
  const version = m && m.packages && m.packages["@electric-sql/pglite"];
  if (typeof version !== "string") throw new CleanError(`refusing the seed ${seedPath}: ${mpath} names no @electric-sql/pglite version`);
  const entry = Array.isArray(m.files) ? m.files.find((f) => f && f.name === SEED_FILE) : null;
  return { mpath, version, sha256: entry && typeof entry.sha256 === "string" ? entry.sha256 : null };
}

// deferredDb returns the oid of a seed entry under a database initdb makes (template1,
// template0, postgres: base/<oid> below Postgres' FirstNormalObjectId, 16384), or null. Opening
// the seed's own database reads none of them, so a first start writes them after it opens: 900
// of a seed's 1300 files. (PGlite serves one database; only CREATE DATABASE reads template1.)
// A seed of one of those databases defers nothing (canDefer).
const INITDB_DATABASES = ["template1", "template0", "postgres"];
// Neither the seed's database nor the one its server served (PGlite 0.3.x serves template1
// whatever --database says) may be one of them.
const canDefer = (meta) => ![meta.database, meta.served].some((d) => INITDB_DATABASES.includes(d));
function deferredDb(name) {
  const m = /^base\/(\d+)(\/|$)/.exec(name);
  return m && Number(m[1]) < 16384 ? m[1] : null;
}

// openSeed streams the seed's entries. Decompression runs on libuv's thread pool, ahead of the
// writes that consume it, so unpacking costs about the writes alone.
function openSeed(seedPath) {
  const input = fs.createReadStream(seedPath, { highWaterMark: 1 << 20 });
  const gunzip = zlib.createGunzip({ chunkSize: 1 << 20, readableHighWaterMark: 64 << 20 });
  input.once("error", (err) => gunzip.destroy(err));
  input.pipe(gunzip);
  return {
    entries: streamTarEntries(gunzip, `the seed ${seedPath}`),
    close() {
      input.destroy();
      gunzip.destroy();
    },
  };
}

// writeSeedEntry writes one seed entry under root; a failure is the dir's, worded as such.
function writeSeedEntry(root, e, made, seedPath) {
  const p = path.join(root, ...e.name.split("/"));
  try {
    const parent = e.type === "5" ? p : path.dirname(p);
    if (!made.has(parent)) {
      mkdirAll(parent);
      made.add(parent);
    }
    if (e.type === "0") fs.writeFileSync(p, e.data, { mode: e.mode || 0o600 });
  } catch (err) {
    throw new CleanError(`cannot unpack the seed ${seedPath} into ${root}: ${describeFsError(err)}`);
  }
}

// seedReadError words an error of reading the seed (a CleanError is already worded).
function seedReadError(err, seedPath) {
  return err instanceof CleanError ? err : new CleanError(`cannot read the seed ${seedPath}: ${oneLine(err)}`);
}

// seedDataDir unpacks the seed into dir when it applies: everything but the deferred databases
// (deferredDb), which finish, called once the server listens, writes into PENDING and renames
// into base/. It returns { line, finish } (finish resolves to a line for stderr), or null.
async function seedDataDir(dir, database) {
  const seedPath = besideBundle(SEED_FILE);
  if (!fs.existsSync(seedPath)) return null;
  clearInterruptedUnpack(dir);
  if (!dataDirEmpty(dir)) return null;
  const t0 = performance.now();
  const seed = openSeed(seedPath);
  let handedOff = false; // to finish, which closes it
  try {
    const meta = await readSeedMeta(seed, seedPath);
    if (meta.database !== database) return null;
    const result = await unpackSeed(dir, database, seed, seedPath, meta, t0);
    handedOff = result.finish !== null;
    return result;
  } finally {
    if (!handedOff) seed.close();
  }
}

// unpackSeed is seedDataDir once the seed applies: all but the deferred databases, now.
async function unpackSeed(dir, database, seed, seedPath, meta, t0) {
  const sum = checkSeed(seedPath, meta);
  const deferring = canDefer(meta);
  const made = new Set([dir]);
  const later = []; // deferred entries read so far
  let files = 0;
  let bytes = 0;
  try {
    fs.writeFileSync(path.join(dir, UNPACKING), "");
    for (;;) {
      let next;
      try {
        next = await seed.entries.next();
      } catch (err) {
        throw seedReadError(err, seedPath);
      }
      if (next.done) break;
      const e = next.value;
      if (deferring && deferredDb(e.name)) {
        later.push(e);
        if (meta.format >= 2) break; // they come last: the rest are deferred too
        continue;
      }
      writeSeedEntry(dir, e, made, seedPath);
      if (e.type === "0") {
        files++;
        bytes += e.data.length;
      }
    }
    // Openable now. PENDING, made before the unpack marker goes, says the rest is owed, and
    // from which seed: only the same one may finish it.
    if (later.length) {
      fs.mkdirSync(path.join(dir, PENDING));
      fs.writeFileSync(path.join(dir, PENDING, PENDING_SEED), `${sum}\n`);
    }
    fs.unlinkSync(path.join(dir, UNPACKING));
  } catch (err) {
    // Leave the dir as it was (empty), not half a data dir.
    try {
      clearInterruptedUnpack(dir, false);
    } catch {}
    if (err instanceof CleanError) throw err;
    throw new CleanError(`cannot unpack the seed ${seedPath} into ${dir}: ${describeFsError(err)}`);
  }
  const ms = Math.round(performance.now() - t0);
  const line = `first start from the seed ${seedPath} (database ${database}, PGlite ${meta.pglite}): unpacked ${files} files (${(bytes / 1048576).toFixed(1)} MiB) in ${ms} ms`;
  if (!later.length) return { line, finish: null };
  const rest = meta.format >= 2 ? seed.entries : (async function* () {})();
  otherDatabasesMissing = true;
  otherDatabasesWhy = "still being written";
  return {
    line: `${line}; template1, template0 and postgres follow once it listens`,
    finish: () => writeDeferred(dir, seedPath, later, rest, () => stopping).finally(() => seed.close()),
  };
}

// writeDeferred writes the deferred databases (the entries in first, then those of rest) into
// dir/PENDING, yielding to the event loop as it goes so clients are served meanwhile, renames
// each into base/ (skipping any already there) and removes PENDING. It stops early, leaving
// PENDING for the next start, when stopped() says the server is stopping.
async function writeDeferred(dir, seedPath, first, rest, stopped) {
  const t0 = performance.now();
  const pending = path.join(dir, PENDING);
  const made = new Set([pending]);
  let files = 0;
  const put = async (e) => {
    if (!deferredDb(e.name)) throw new CleanError(`the seed ${seedPath} is out of order: ${e.name} comes after the deferred databases`);
    writeSeedEntry(pending, e, made, seedPath);
    if (e.type === "0" && ++files % 32 === 0) await new Promise((resolve) => setImmediate(resolve));
  };
  for (const e of first) {
    if (stopped()) return null;
    await put(e);
  }
  try {
    for await (const e of rest) {
      if (stopped()) return null;
      await put(e);
    }
  } catch (err) {
    throw seedReadError(err, seedPath);
  }
  const base = path.join(pending, "base");
  const oids = fs.existsSync(base) ? fs.readdirSync(base) : [];
  try {
    for (const oid of oids) {
      if (!fs.existsSync(path.join(dir, "base", oid))) await renameRetrying(path.join(base, oid), path.join(dir, "base", oid));
    }
    fs.rmSync(pending, { recursive: true, force: true });
  } catch (err) {
    throw new CleanError(`cannot finish the seeded data dir ${dir}: ${describeFsError(err)}`);
  }
  otherDatabasesMissing = false;
  return `wrote the seed's other databases (${files} files) in ${Math.round(performance.now() - t0)} ms`;
}

// renameRetrying renames a dir, retrying for up to 2 s while Windows refuses because another
// process (an antivirus, the indexer) still has a file in it open.
async function renameRetrying(from, to) {
  for (let wait = 10; ; wait *= 2) {
    try {
      fs.renameSync(from, to);
      return;
    } catch (err) {
      if (!["EPERM", "EACCES", "EBUSY"].includes(err.code) || wait > 1280) throw err;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

// finishPendingSeed completes a data dir whose seeded first start stopped before it wrote all
// its databases (PENDING is there), from the same seed, before PGlite opens it. Without that
// seed (gone, changed, another PGlite's) the database the app uses is still whole: the server
// serves it and refuses only the statements that need the missing ones, saying so.
async function finishPendingSeed(dir) {
  const pending = path.join(dir, PENDING);
  if (!fs.existsSync(pending)) return null;
  const seedPath = besideBundle(SEED_FILE);
  let recorded = "";
  try {
    recorded = fs.readFileSync(path.join(pending, PENDING_SEED), "utf8").trim();
  } catch {}
  let why = null;
  let seed = null;
  if (!fs.existsSync(seedPath)) {
    why = `the seed ${seedPath} to finish them from is gone`;
  } else {
    seed = openSeed(seedPath);
    try {
      if (checkSeed(seedPath, await readSeedMeta(seed, seedPath)) !== recorded) why = `the seed ${seedPath} is not the one the first start used`;
    } catch (err) {
      why = oneLine(err);
    }
  }
  if (why) {
    if (seed) seed.close();
    otherDatabasesMissing = true;
    otherDatabasesWhy = `a seeded first start stopped before it wrote them, and ${why}`;
    process.stderr.write(
      `${NAME}: warning: ${dir} lacks template1, template0 and postgres: ${otherDatabasesWhy}; serving it anyway, with CREATE, DROP and ALTER DATABASE refused (restore the app's seed, or start afresh from an empty dir)\n`,
    );
    return null;
  }
  for (const n of fs.readdirSync(pending)) {
    if (n !== PENDING_SEED) fs.rmSync(path.join(pending, n), { recursive: true, force: true });
  }
  const present = new Set(fs.readdirSync(path.join(dir, "base")));
  const owed = (async function* () {
    for await (const e of seed.entries) {
      const oid = deferredDb(e.name);
      if (oid && !present.has(oid)) yield e;
    }
  })();
  try {
    return await writeDeferred(dir, seedPath, [], owed, () => false);
  } finally {
    seed.close();
  }
}

// checkSeed returns the seed's SHA-256. It refuses a seed made with another PGlite than the one
// bundled, or whose bytes are not
// the ones the manifest lists (damaged or changed since bundle-pglite made it): a first start
// must not stop half way through a broken seed, nor a later one be unable to finish it.
function checkSeed(seedPath, meta) {
  const m = bundleManifest(seedPath);
  if (meta.pglite !== m.version) {
    throw new CleanError(
      `refusing the seed ${seedPath}: it was made with PGlite ${meta.pglite}, but this server bundles PGlite ${m.version}; remake it with nizepack bundle-pglite`,
    );
  }
  let sum;
  try {
    sum = crypto.createHash("sha256").update(fs.readFileSync(seedPath)).digest("hex");
  } catch (err) {
    throw new CleanError(`cannot read the seed ${seedPath}: ${describeFsError(err)}`);
  }
  if (sum !== m.sha256) {
    throw new CleanError(
      `refusing the seed ${seedPath}: its sha256 is ${sum}, not the ${m.sha256 || "(none)"} ${m.mpath} lists for it (damaged or changed since it was made); remake it with nizepack bundle-pglite`,
    );
  }
  return sum;
}

// oneDatabasePGlite: PGlite before 0.5 serves the one database it opens by default, template1,
// and does not create another (on a fresh dir its initdb ignores the database option; asked
// for a missing one on an existing dir it crashes). A drop-in for an app entry on such a PGlite
// serves what that entry served: template1, where the app's tables are.
function oneDatabasePGlite(version) {
  const [major, minor] = String(version).split(".").map(Number);
  return major === 0 && minor < 5;
}

// openDatabase opens PGlite on the named database and returns { db, served }. An existing one
// opens directly (one PGlite start); a missing one is created from the "postgres" database
// first, then PGlite reopens on it. On a PGlite that serves one database (oneDatabasePGlite) it
// opens that one, whatever database is asked for.
async function openDatabase(dir, database) {
  // PGlite prints Postgres' log only with debug output on; keep its last lines to explain a
  // failed open, which otherwise reads just "Aborted()".
  const pgLog = [];
  const onStderr = (line) => {
    pgLog.push(String(line));
    if (pgLog.length > 50) pgLog.shift();
    return false;
  };
  const open = async (name) => {
    const options = { dataDir: dir, extensions: { vector }, onStderr };
    if (name !== null) options.database = name;
    const db = new PGlite(options);
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
    if (oneDatabasePGlite(pgliteVersion)) {
      db = await open(null);
    } else {
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
    }
    await db.exec("CREATE EXTENSION IF NOT EXISTS vector");
    const served = await servedDatabase(db);
    if (served !== database) {
      process.stderr.write(`${NAME}: PGlite ${pgliteVersion} serves database ${served} whatever --database says (asked for ${database}); clients get ${served}\n`);
    }
    return { db, served };
  } catch (err) {
    if (db) await db.close().catch(() => {});
    throw new CleanError(`cannot open PGlite data dir ${dir} (database ${database}): ${openFailure(err, pgLog)}`);
  }
}

async function servedDatabase(db) {
  const { rows } = await db.query("SELECT current_database() AS name");
  return rows[0].name;
}

// openFailure explains a failed open with Postgres' own words when it printed any (PGlite's error
// is then only "Aborted()" or "PGlite failed to initialize properly"): its last PANIC or FATAL
// line, else a "postgres: ..." startup error, else its last ERROR line.
function openFailure(err, pgLog) {
  const msg = oneLine(err);
  const last = (re) => {
    for (let i = pgLog.length - 1; i >= 0; i--) {
      const m = re.exec(pgLog[i]);
      if (m) return m;
    }
    return null;
  };
  const m =
    last(/\b(PANIC|FATAL):\s+(.*\S)/) || last(/^(postgres): (.*\S)/) || last(/\b(ERROR):\s+(.*\S)/);
  if (!m) return msg;
  const cause = `${m[1]}: ${m[2]}`;
  return /^Aborted\(|failed to initialize|^unknown error$/.test(msg) ? cause : `${msg} (${cause})`;
}

// --- The front: what clients talk to ------------------------------------------------------------
//
// pglite-socket serves its clients on a private socket (a 0700 temp dir's Unix socket, a named
// pipe on Windows). Clients connect to the front, which passes each one's validated frames on
// through its own connection to pglite-socket and guards what pglite-socket does not:
//   - one slot per client (--max-connections); an extra client gets ErrorResponse 53300 after its
//     startup packet, not a bare reset; a client that just left frees its slot before the next
//     one is turned away, so close-then-connect always works;
//   - when a client leaves, its session is reset (ROLLBACK, DISCARD ALL) before the next client
//     gets the slot, as long as no other client shares the session;
//   - frames are checked (lengths, message types) and a client sending a bad one is dropped,
//     where pglite-socket would spin on it forever;
//   - COPY ... FROM STDIN, which ends the PGlite runtime, is replaced by a statement that fails
//     with SQLSTATE 0A000, so the client gets an error and the server keeps serving.

const PROTOCOL_3_0 = 196608;
const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const MAX_STARTUP_PACKET = 10000; // Postgres' own limit
const MAX_MESSAGE = 256 * 1024 * 1024;
const FRONTEND_TYPES = "BCDEFHPQSXcdfp"; // every message type a 3.0 frontend may send
const SLOT_GRACE_MS = 500; // how long a new client waits for a busy slot before 53300
const SLOT_LEAVING_MS = 30000; // ... and for a client that is leaving (its session being reset)
const RESET_TIMEOUT_MS = 30000;

const SYNC = Buffer.from([0x53, 0, 0, 0, 4]);

function frame(type, body) {
  const b = Buffer.alloc(5 + body.length);
  b.write(type, 0, "latin1");
  b.writeInt32BE(4 + body.length, 1);
  body.copy(b, 5);
  return b;
}

function cstr(s) {
  return Buffer.from(`${s}\0`, "utf8");
}

function queryFrame(sql) {
  return frame("Q", cstr(sql));
}

function errorFrame(severity, code, message) {
  const fields = [`S${severity}`, `V${severity}`, `C${code}`, `M${message}`];
  return frame("E", Buffer.concat([...fields.map(cstr), Buffer.from([0])]));
}

// readCstr returns the NUL-terminated string at off and the offset after it.
function readCstr(buf, off) {
  const end = buf.indexOf(0, off);
  if (end < 0) return [null, buf.length];
  return [buf.toString("utf8", off, end), end + 1];
}

// copyFromStdin: does the SQL run COPY ... FROM STDIN (a statement start, comments ignored)?
function copyFromStdin(sql) {
  const s = sql.replace(/--[^\n]*/g, " ").replace(/\/\*[\s\S]*?\*\//g, " ");
  return /(^|;)\s*copy\b[^;]*?\bfrom\s+stdin\b/i.test(s);
}

// readsOtherDatabases: is the message a query or parse of CREATE, DROP or ALTER DATABASE, which
// read the databases a seeded first start writes after it listens?
function readsOtherDatabases(type, msg) {
  if (type !== "Q" && type !== "P") return false;
  let [sql, off] = readCstr(msg, 5);
  if (type === "P") [sql] = readCstr(msg, off);
  if (sql === null) return false;
  // A statement start, comments ignored (as copyFromStdin); not the words inside a string.
  const bare = sql
    .replace(/--[^\n]*/g, " ")
    .replace(/\/\*[\s\S]*?\*\//g, " ")
    .replace(/'(?:[^']|'')*'/g, "''");
  return /(^|;)\s*(create|drop|alter)\s+database\b/i.test(bare);
}

// otherDatabasesMissing: template1, template0 and postgres of a seeded dir are not all on disk
// (owed, or unfinishable: otherDatabasesWhy says why); the statements that read them fail.
let otherDatabasesMissing = false;
let otherDatabasesWhy = "";
function otherDatabasesRefusalSQL() {
  const text = `template1, template0 and postgres of this seeded data dir are not on disk (${otherDatabasesWhy}), so pglite-server refuses CREATE, DROP and ALTER DATABASE`;
  return `DO $pglite_server$ BEGIN RAISE EXCEPTION USING ERRCODE = '55000', MESSAGE = '${text.replace(/'/g, "''")}'; END $pglite_server$`;
}

const COPY_REFUSED =
  "COPY ... FROM STDIN is not supported by pglite-server (PGlite cannot take copy data over the wire); insert the rows with INSERT instead";
const COPY_REFUSAL_SQL = `DO $pglite_server$ BEGIN RAISE EXCEPTION USING ERRCODE = '0A000', MESSAGE = '${COPY_REFUSED}'; END $pglite_server$`;

class Front {
  constructor({ maxConnections, backendPath }) {
    this.max = maxConnections;
    this.backendPath = backendPath;
    this.sockets = new Set(); // every open client socket
    this.holders = new Set(); // the sessions that hold a slot
    this.waiters = [];
    this.server = net.createServer({ noDelay: true }, (sock) => {
      this.sockets.add(sock);
      sock.on("close", () => this.sockets.delete(sock));
      new Session(this, sock);
    });
  }

  listen(host, port) {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => {
        this.server.off("error", reject);
        this.server.on("error", (err) => process.stderr.write(`${NAME}: ${oneLine(err)}\n`));
        resolve(this.server.address().port);
      });
    });
  }

  // acquire resolves true once the session holds a slot, false when it should be refused.
  acquire(session) {
    if (this.holders.size < this.max) {
      this.holders.add(session);
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const w = { session, resolve, since: Date.now(), timer: null };
      const check = () => {
        const waited = Date.now() - w.since;
        const leaving = [...this.holders].some((h) => h.state !== "ready");
        if (session.state !== "waiting" || waited >= SLOT_LEAVING_MS || (waited >= SLOT_GRACE_MS && !leaving)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          resolve(false);
          return;
        }
        w.timer = setTimeout(check, 25);
      };
      this.waiters.push(w);
      w.timer = setTimeout(check, 25);
    });
  }

  release(session) {
    if (!this.holders.delete(session)) return;
    while (this.waiters.length > 0 && this.holders.size < this.max) {
      const w = this.waiters.shift();
      clearTimeout(w.timer);
      if (w.session.state !== "waiting") {
        w.resolve(false);
        continue;
      }
      this.holders.add(w.session);
      w.resolve(true);
    }
  }

  // shares: does a client other than this one hold the session?
  shared(session) {
    for (const h of this.holders) if (h !== session && h.state === "ready") return true;
    return false;
  }

  close() {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      for (const sock of this.sockets) sock.destroy();
      for (const h of this.holders) if (h.backend) h.backend.destroy();
    });
  }
}

class Session {
  constructor(front, sock) {
    this.front = front;
    this.sock = sock;
    this.state = "startup"; // startup → waiting (for a slot) → ready → leaving → closed
    this.buf = Buffer.alloc(0);
    this.backend = null;
    this.bbuf = Buffer.alloc(0);
    this.pendingZ = 0; // ReadyForQuery messages the backend still owes
    this.resetDone = null;
    sock.setNoDelay(true);
    sock.on("data", (d) => this.onClientData(d));
    sock.on("end", () => this.leave());
    sock.on("close", () => this.leave());
    sock.on("error", () => this.leave());
  }

  onClientData(d) {
    if (this.state !== "startup" && this.state !== "waiting" && this.state !== "ready") return;
    this.buf = this.buf.length > 0 ? Buffer.concat([this.buf, d]) : d;
    this.pump();
  }

  pump() {
    while (!this.held && (this.state === "startup" || this.state === "ready")) {
      if (this.state === "startup") {
        if (this.buf.length < 4) return;
        const len = this.buf.readInt32BE(0);
        if (len < 8 || len > MAX_STARTUP_PACKET) return this.drop("08P01", `invalid length of startup packet: ${len}`);
        if (this.buf.length < len) return;
        const code = this.buf.readInt32BE(4);
        const msg = this.buf.subarray(0, len);
        this.buf = this.buf.subarray(len);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          this.sock.write("N"); // no SSL, no GSSAPI: the client goes on in plain text
          continue;
        }
        if (code === CANCEL_REQUEST) return this.destroy(); // not supported; Postgres closes too
        if (code !== PROTOCOL_3_0) {
          return this.drop("0A000", `unsupported frontend protocol ${code >>> 16}.${code & 0xffff}: pglite-server speaks 3.0`);
        }
        this.state = "waiting";
        this.start(msg);
        return;
      }
      if (this.buf.length < 5) return;
      const type = String.fromCharCode(this.buf[0]);
      const len = this.buf.readInt32BE(1);
      if (!FRONTEND_TYPES.includes(type)) return this.drop("08P01", `invalid frontend message type ${this.buf[0]}`);
      if (len < 4 || len > MAX_MESSAGE) return this.drop("08P01", `invalid message length ${len} (type ${type})`);
      if (this.buf.length < 1 + len) return;
      const msg = this.buf.subarray(0, 1 + len);
      this.buf = this.buf.subarray(1 + len);
      if (finishing && readsOtherDatabases(type, msg)) {
        // Held until a seeded first start has written template1 and the others (and this
        // session's later messages with it, in order).
        this.held = true;
        this.sock.pause();
        finishing.finally(() => {
          this.held = false;
          if (this.state !== "ready") return;
          this.onMessage(type, msg);
          this.sock.resume();
          this.pump();
        });
        return;
      }
      this.onMessage(type, msg);
    }
  }

  async start(startup) {
    this.sock.pause();
    const ok = await this.front.acquire(this);
    if (this.state !== "waiting") {
      this.front.release(this);
      return;
    }
    if (!ok) {
      const n = this.front.max;
      const msg =
        `too many connections: this pglite-server serves --max-connections=${n} client${n === 1 ? "" : "s"} at a time; ` +
        "PGlite is one Postgres session, so use one connection (e.g. sqlx max_connections(1)) or raise --max-connections";
      process.stderr.write(`${NAME}: refused a connection (53300): ${n} client${n === 1 ? "" : "s"} already connected\n`);
      this.drop("53300", msg, false);
      return;
    }
    const b = net.createConnection(this.front.backendPath);
    this.backend = b;
    b.on("data", (d) => this.onBackendData(d));
    const gone = () => {
      if (this.resetDone) this.resetDone();
      else this.destroy();
    };
    b.on("close", gone);
    b.on("error", gone);
    this.pendingZ = 1;
    b.write(startup);
    this.state = "ready";
    this.sock.resume();
    this.pump();
  }

  onMessage(type, msg) {
    switch (type) {
      case "X": // Terminate
        this.leave();
        return;
      case "c":
      case "d":
      case "f": // copy data outside COPY mode: Postgres ignores these too
        return;
      case "Q": {
        const [sql] = readCstr(msg, 5);
        if (sql !== null && copyFromStdin(sql)) msg = queryFrame(COPY_REFUSAL_SQL);
        else if (otherDatabasesMissing && readsOtherDatabases(type, msg)) msg = queryFrame(otherDatabasesRefusalSQL());
        break;
      }
      case "P": {
        const [name, off] = readCstr(msg, 5);
        const [sql] = readCstr(msg, off);
        let refusal = null;
        if (name !== null && sql !== null && copyFromStdin(sql)) refusal = COPY_REFUSAL_SQL;
        else if (otherDatabasesMissing && readsOtherDatabases(type, msg)) refusal = otherDatabasesRefusalSQL();
        if (refusal) msg = frame("P", Buffer.concat([cstr(name), cstr(refusal), Buffer.from([0, 0])]));
        break;
      }
    }
    if (type === "Q" || type === "S" || type === "F") this.pendingZ++;
    this.backend.write(msg);
  }

  onBackendData(d) {
    this.bbuf = this.bbuf.length > 0 ? Buffer.concat([this.bbuf, d]) : d;
    let end = 0;
    while (this.bbuf.length - end >= 5) {
      const len = this.bbuf.readInt32BE(end + 1);
      if (this.bbuf.length - end < 1 + len) break;
      if (this.bbuf[end] === 0x5a /* Z */ && this.pendingZ > 0) this.pendingZ--;
      end += 1 + len;
    }
    const out = this.bbuf.subarray(0, end);
    this.bbuf = this.bbuf.subarray(end);
    if (this.state === "ready") {
      if (out.length > 0) this.sock.write(out);
    } else if (this.resetDone && this.pendingZ === 0) {
      this.resetDone();
    }
  }

  // drop answers with a FATAL ErrorResponse and closes the connection.
  drop(code, message, log = true) {
    if (log) process.stderr.write(`${NAME}: dropped a client: ${message}\n`);
    if (this.sock.writable) this.sock.end(errorFrame("FATAL", code, message));
    this.sock.resume(); // read (and ignore) until the client closes
    this.leave();
  }

  destroy() {
    this.sock.destroy();
    if (this.backend) this.backend.destroy();
    this.leave();
  }

  // leave ends the client's part: once what it sent has run, the session is reset (when no other
  // client shares it), the backend connection closes and the slot is free.
  async leave() {
    if (this.state === "leaving" || this.state === "closed") return;
    const was = this.state;
    this.state = "leaving";
    if (!this.sock.destroyed) this.sock.end();
    const b = this.backend;
    if (was === "ready" && b && !b.destroyed) {
      if (!this.front.shared(this)) {
        // Sync ends an unfinished extended-protocol batch; then roll back and reset.
        b.write(Buffer.concat([SYNC, queryFrame("ROLLBACK"), queryFrame("DISCARD ALL")]));
        this.pendingZ += 3;
      }
      if (this.pendingZ > 0) {
        await new Promise((resolve) => {
          const timer = setTimeout(resolve, RESET_TIMEOUT_MS);
          this.resetDone = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
    if (b) b.destroy();
    this.state = "closed";
    this.front.release(this);
  }
}

// startBackend starts pglite-socket on a private socket and resolves with its path.
async function startBackend(db) {
  let sockPath;
  if (process.platform === "win32") {
    sockPath = `\\\\.\\pipe\\pglite-server-${process.pid}-${Math.random().toString(36).slice(2)}`;
  } else {
    backendDir = fs.mkdtempSync(path.join(os.tmpdir(), "pglite-"));
    sockPath = path.join(backendDir, "s");
  }
  // The front enforces --max-connections; pglite-socket must never refuse one of its own.
  backend = new PGLiteSocketServer({ db, path: sockPath, maxConnections: 1000 });
  await backend.start();
  return sockPath;
}

let backendDir = null;
function removeBackendDir() {
  if (!backendDir) return;
  try {
    fs.rmSync(backendDir, { recursive: true, force: true });
  } catch {}
  backendDir = null;
}

// A signal may come at any time, even while PGlite is still starting: it ends the process with 0
// after closing whatever is open.
let db = null;
let front = null;
let backend = null;
let opening = null;
let finishing = null; // writing the deferred databases of a seeded first start
let stopping = false;
async function stop(why) {
  if (stopping) return;
  stopping = true;
  if (why) process.stderr.write(`${NAME}: ${why}; stopping\n`);
  try {
    if (finishing) await finishing;
    if (opening) db = await opening.then((o) => o.db).catch(() => null);
    if (front) await front.close();
    if (backend) await backend.stop();
    if (db) {
      // PGlite's NodeFS never fsyncs: a checkpoint at least leaves the files consistent on disk.
      await db.exec("CHECKPOINT").catch(() => {});
      await db.close();
    }
  } catch (err) {
    process.stderr.write(`${NAME}: stopping: ${oneLine(err)}\n`);
  }
  removeBackendDir();
  releaseLock();
  exiting = true;
  process.exit(0);
}
process.on("SIGTERM", () => stop());
process.on("SIGINT", () => stop());
process.on("exit", () => {
  removeBackendDir();
  releaseLock();
});

// watchParent stops the server within a second of the parent's death. process.kill(pid, 0)
// works on Linux, macOS and Windows: ESRCH means gone, EPERM that it runs as another user.
function watchParent(pid) {
  const check = () => {
    if (!pidAlive(pid)) {
      clearInterval(timer);
      stop(`parent process ${pid} is gone`);
    }
  };
  const timer = setInterval(check, 250);
  timer.unref();
  check();
}

// watchStdin stops the server when its stdin ends (the parent closed the pipe or died).
function watchStdin() {
  const onEnd = () => stop("stdin closed");
  process.stdin.on("end", onEnd);
  process.stdin.on("close", onEnd);
  process.stdin.on("error", onEnd);
  process.stdin.on("data", () => {}); // read and discard
  process.stdin.resume();
}

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
  if (opts.parentPid !== null) watchParent(opts.parentPid);
  if (opts.exitOnStdinClose) watchStdin();
  if (stopping) return;
  await checkPort(opts.host, opts.port);
  acquireLock(opts.db);
  const seeded = await seedDataDir(opts.db, opts.database);
  if (seeded) process.stderr.write(`${NAME}: ${seeded.line}\n`);
  else {
    const finished = await finishPendingSeed(opts.db);
    if (finished) process.stderr.write(`${NAME}: finished an interrupted seeded first start: ${finished}\n`);
  }
  if (stopping) return;
  opening = openDatabase(opts.db, opts.database);
  const opened = await opening;
  db = opened.db;
  opening = null;
  if (stopping) return;
  const backendPath = await startBackend(db);
  if (stopping) return;
  front = new Front({ maxConnections: opts.maxConnections, backendPath });
  let port;
  try {
    port = await front.listen(opts.host, opts.port);
  } catch (err) {
    front = null;
    await backend.stop().catch(() => {});
    await db.close().catch(() => {});
    db = null;
    throw listenError(opts.host, opts.port, err);
  }
  if (stopping) return;
  // Port first (a reader may look for it there), then the facts: see the contract above.
  process.stdout.write(
    `{"port": ${port}, "database": ${JSON.stringify(opened.served)}, "seeded": ${Boolean(seeded)}, "pglite": ${JSON.stringify(pgliteVersion)}}\n`,
  );
  if (seeded && seeded.finish) {
    finishing = seeded
      .finish()
      .then((line) => line && process.stderr.write(`${NAME}: ${line}\n`))
      .catch((err) => {
        otherDatabasesWhy = oneLine(err);
        process.stderr.write(`${NAME}: ${otherDatabasesWhy}; the next start finishes it\n`);
      })
      .finally(() => {
        finishing = null;
      });
  }
}

main().catch(fail);
