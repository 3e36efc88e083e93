// util.mjs — what every part of pglite-server shares: its name on stderr, the two kinds of
// error it reports as one clean line, and small file-system helpers. No PGlite here.

import fs from "node:fs";
import path from "node:path";

export const NAME = "pglite-server";

// UsageError is a bad command line: one line plus the usage line, exit 2.
export class UsageError extends Error {}

// CleanError carries a message meant for the user as is: one line, exit 1.
export class CleanError extends Error {}

// oneLine is an error's message on one line.
export function oneLine(err) {
  const msg = err && typeof err === "object" && "message" in err ? String(err.message) : String(err);
  return (
    msg
      .split("\n")
      .map((s) => s.trim())
      .filter(Boolean)
      .join(" ") || "unknown error"
  );
}

// say writes one line to stderr, prefixed with the server's name.
export function say(line) {
  process.stderr.write(`${NAME}: ${line}\n`);
}

// describeFsError words a file-system error for a sentence "cannot ... DIR: <this>".
export function describeFsError(err) {
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

// mkdirAll is mkdir -p one level at a time (Node's recursive mkdir can spin forever on some
// file systems, /proc for one).
export function mkdirAll(dir) {
  const missing = [];
  for (let d = dir; !fs.existsSync(d); d = path.dirname(d)) {
    if (path.dirname(d) === d) break;
    missing.unshift(d);
  }
  for (const d of missing) fs.mkdirSync(d);
}

// sleepMs blocks the thread (only used while starting, before anything is served).
export function sleepMs(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
