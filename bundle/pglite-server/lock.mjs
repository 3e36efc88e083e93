// lock.mjs — the data dir's exclusive lock: `.<name>.pglite-server.lock` beside the data dir
// <name> (not in it: PGlite 0.3.x runs initdb on the dir itself, which refuses a dir holding
// anything). Created with O_EXCL and kept open for the server's life; it records the holder:
//
//   <pid>
//   boot=<the machine's boot time, s>
//   start=<the holder's own start time, ms since the epoch>
//   exlock=1            (Windows only: the file is held open in exclusive sharing mode)
//
// A lock is stale, and taken over, when its holder is gone: its PID no longer runs (a killed
// server), it was written before the last boot, or its PID now belongs to a process that does
// not hold the lock file open (PID reuse). Whether a process holds the file open is asked of the
// kernel: /proc/<pid>/fd on Linux; an O_EXLOCK flock on macOS; on Windows the file is opened in
// exclusive sharing mode (libuv's UV_FS_O_EXLOCK), which the kernel drops when the holder's
// process ends, so a lock file anyone else can open has no live holder, whatever process has its
// PID now. Node offers no way to read another process's start time on Windows (only spawning
// wmic, removed from recent Windows, or PowerShell, which takes seconds), so the recorded start
// time is not what decides there; the sharing mode is, and is stronger: it is the kernel's own
// record of the open handle. A runtime that ignores the flag (checked at lock time: the holder
// tries to open its own lock a second time) records no exlock=1, and candidates fall back to the
// PID and boot time.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import { CleanError, describeFsError, mkdirAll, say, sleepMs } from "./util.mjs";

export const LOCK_SUFFIX = ".pglite-server.lock";

// O_EXLOCK (macOS): open(2) takes a flock on the file, held until the holder's fd closes, which
// the kernel does when a process dies. Node has no constant for it.
const O_EXLOCK = process.platform === "darwin" ? 0x20 : 0;
// UV_FS_O_EXLOCK (Windows): libuv opens the file with no sharing (share mode 0) instead of its
// default read/write/delete sharing. Node passes numeric flags to libuv as they are.
const UV_FS_O_EXLOCK = process.platform === "win32" ? 0x10000000 : 0;

// lockPathOf is the lock of data dir dir.
export function lockPathOf(dir) {
  const abs = path.resolve(dir);
  return path.join(path.dirname(abs), `.${path.basename(abs)}${LOCK_SUFFIX}`);
}

// bootTime is when this machine started, in seconds: a lock written before the last boot is
// stale even if its PID now belongs to some other process.
export function bootTime() {
  return Math.round(Date.now() / 1000 - os.uptime());
}

// startTime is when this process started, in ms since the epoch.
export function startTime() {
  return Math.round(Date.now() - process.uptime() * 1000);
}

// formatHolder is the lock file's text for holder { pid, boot, start, exlock }.
export function formatHolder(h) {
  let s = `${h.pid}\nboot=${h.boot}\n`;
  if (h.start != null) s += `start=${h.start}\n`;
  if (h.exlock) s += "exlock=1\n";
  return s;
}

// parseHolder reads a lock file's text: { pid, boot, start, exlock } (boot and start null when
// absent: older servers wrote the PID and boot time only), or null when it holds no PID (a
// crash while writing it).
export function parseHolder(text) {
  const pid = Number.parseInt(String(text).trim().split(/\s+/)[0], 10);
  if (!Number.isInteger(pid) || pid <= 0) return null;
  const field = (k) => {
    const m = new RegExp(`^${k}=(\\d+)$`, "m").exec(text);
    return m ? Number(m[1]) : null;
  };
  return { pid, boot: field("boot"), start: field("start"), exlock: field("exlock") === 1 };
}

// readHolder returns the lock's holder, undefined when there is no lock, null when it names no
// PID, or "held" when the file cannot be opened because its holder has it open exclusively
// (Windows).
function readHolder(lockPath) {
  let text;
  try {
    text = fs.readFileSync(lockPath, "utf8");
  } catch (err) {
    if (err.code === "ENOENT") return undefined;
    if (UV_FS_O_EXLOCK && (err.code === "EBUSY" || err.code === "EPERM" || err.code === "EACCES")) return "held";
    throw err;
  }
  return parseHolder(text);
}

// pidAlive reports whether a process exists (EPERM: it exists but is not ours).
export function pidAlive(pid) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === "EPERM";
  }
}

// holderAlive: the PID runs, it was written during this boot (PIDs are reused after one), and,
// where the OS can tell, that process holds the lock file open.
export function holderAlive(h, lockPath) {
  if (h === "held") return true;
  if (!h || !pidAlive(h.pid)) return false;
  if (h.boot !== null && Math.abs(h.boot - bootTime()) >= 120) return false;
  return holdsLock(h, lockPath) !== false;
}

// holdsLock reports whether the holder has the lock file open: true, false, or null when the
// OS does not say (another user's process; a Windows lock written without exlock=1).
function holdsLock(h, lockPath) {
  if (process.platform === "linux") {
    let want;
    try {
      want = fs.statSync(lockPath);
    } catch {
      return null;
    }
    let fds;
    try {
      fds = fs.readdirSync(`/proc/${h.pid}/fd`);
    } catch (err) {
      return err.code === "ENOENT" ? false : null;
    }
    for (const fd of fds) {
      try {
        const st = fs.statSync(`/proc/${h.pid}/fd/${fd}`);
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
  if (UV_FS_O_EXLOCK) {
    // We read the file, so nobody holds it exclusively: a holder that did (exlock=1) is gone.
    return h.exlock ? false : null;
  }
  return null;
}

// acquireLock takes the data dir's lock and returns it ({ path, fd }) for releaseLock. A stale
// lock is taken over; a live holder's is refused with a CleanError naming its PID.
export function acquireLock(dir) {
  try {
    mkdirAll(dir);
    if (!fs.statSync(dir).isDirectory()) throw Object.assign(new Error("not a directory"), { code: "ENOTDIR" });
    fs.accessSync(dir, fs.constants.R_OK | fs.constants.W_OK);
  } catch (err) {
    throw new CleanError(`cannot use data dir ${dir}: ${describeFsError(err)}`);
  }
  const lockPath = lockPathOf(dir);
  const deadline = Date.now() + 5000;
  let heldSince = null; // Windows: when the lock was first seen held open
  for (;;) {
    if (Date.now() > deadline) throw new CleanError(`cannot lock data dir ${dir}: the lock ${lockPath} keeps changing`);
    let fd;
    try {
      const { O_WRONLY, O_CREAT, O_EXCL } = fs.constants;
      fd = fs.openSync(lockPath, O_WRONLY | O_CREAT | O_EXCL | O_EXLOCK | UV_FS_O_EXLOCK, 0o644);
    } catch (err) {
      if (err.code !== "EEXIST") throw new CleanError(`cannot create lock ${lockPath}: ${describeFsError(err)}`);
      const holder = readHolder(lockPath);
      if (holder === undefined) continue; // released meanwhile: try again
      if (holder === null && fileAgeMs(lockPath) < 2000) {
        sleepMs(50); // just created, its PID not written yet
        continue;
      }
      if (holder === "held") {
        // Held open exclusively; give a scanner (an antivirus) that opened a stale lock a moment.
        heldSince ??= Date.now();
        if (Date.now() - heldSince < 500) {
          sleepMs(50);
          continue;
        }
        throw new CleanError(`data dir ${dir} is in use by another pglite-server (it holds ${lockPath} open); stop it first`);
      }
      if (holderAlive(holder, lockPath)) {
        throw new CleanError(`data dir ${dir} is in use by another pglite-server (PID ${holder.pid}); stop it first`);
      }
      takeOverStaleLock(lockPath);
      continue;
    }
    fs.writeSync(fd, formatHolder({ pid: process.pid, boot: bootTime(), start: startTime(), exlock: UV_FS_O_EXLOCK && exclusive(lockPath) }));
    fs.fsyncSync(fd);
    removeStalePostmasterPid(dir);
    return { path: lockPath, fd };
  }
}

// exclusive: the lock we hold open cannot be opened again (the runtime honoured UV_FS_O_EXLOCK).
function exclusive(lockPath) {
  try {
    fs.closeSync(fs.openSync(lockPath, "r"));
    return false;
  } catch {
    return true;
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
    // Windows: a new holder has it open exclusively by now; the next round sees it.
    if (UV_FS_O_EXLOCK && ["EBUSY", "EPERM", "EACCES"].includes(err.code)) return;
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
  say(`removed a stale ${p} (PGlite did not close last time)`);
}

function fileAgeMs(p) {
  try {
    return Date.now() - fs.statSync(p).mtimeMs;
  } catch {
    return Infinity;
  }
}

// releaseLock closes the lock and removes it when it is still ours.
export function releaseLock(lock) {
  if (!lock) return;
  try {
    fs.closeSync(lock.fd);
  } catch {}
  try {
    const h = readHolder(lock.path);
    if (h && h !== "held" && h.pid === process.pid) fs.unlinkSync(lock.path);
  } catch {}
}
