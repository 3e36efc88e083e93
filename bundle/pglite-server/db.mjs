// db.mjs — PGlite itself: opening the data dir on the database asked for, and pglite-socket
// serving it on a private socket. The only module that imports PGlite (and the virtual modules
// nizepack's bundler fills in), so the others can be tested without it.

import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
// pgvector as the installed PGlite ships it: nizepack's bundler resolves this name to
// @electric-sql/pglite/vector (PGlite 0.3.x) or @electric-sql/pglite-pgvector (0.5.x and later),
// whichever matches the installed PGlite.
import { vector } from "nizepack:pglite-vector";
// The version of the PGlite bundled here (the bundler fills it in).
import { pgliteVersion } from "nizepack:pglite-info";
import { PGlite } from "@electric-sql/pglite";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import { CleanError, oneLine, say } from "./util.mjs";

export { pgliteVersion };

// oneDatabasePGlite: PGlite before 0.5 serves the one database it opens by default, template1,
// and does not create another (on a fresh dir its initdb ignores the database option; asked
// for a missing one on an existing dir it crashes). A drop-in for an app entry on such a PGlite
// serves what that entry served: template1, where the app's tables are.
export function oneDatabasePGlite(version) {
  const [major, minor] = String(version).split(".").map(Number);
  return major === 0 && minor < 5;
}

// openDatabase opens PGlite on the named database and returns { db, served }. An existing one
// opens directly (one PGlite start); a missing one is created from the "postgres" database
// first, then PGlite reopens on it. On a PGlite that serves one database (oneDatabasePGlite) it
// opens that one, whatever database is asked for.
export async function openDatabase(dir, database) {
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
      say(`PGlite ${pgliteVersion} serves database ${served} whatever --database says (asked for ${database}); clients get ${served}`);
    }
    return { db, served, defaults: await sessionDefaults(db) };
  } catch (err) {
    if (db) await db.close().catch(() => {});
    throw new CleanError(`cannot open PGlite data dir ${dir} (database ${database}): ${openFailure(err, pgLog)}`);
  }
}

// sessionDefaults are the settings the session starts with that a RESET would not give back:
// PGlite 0.3.x sets search_path to public for its session while the value a RESET returns to
// is pg_catalog, so after a client's RESET ALL (or the front's DISCARD ALL) every table in public
// would seem gone. The front sets these again after each reset (name → SET statement).
async function sessionDefaults(db) {
  const { rows } = await db.query(
    "SELECT name, setting FROM pg_settings WHERE setting IS DISTINCT FROM reset_val AND context IN ('user', 'superuser') ORDER BY name",
  );
  return new Map(rows.map((r) => [r.name, `SET ${r.name} TO '${String(r.setting).replace(/'/g, "''")}'`]));
}

async function servedDatabase(db) {
  const { rows } = await db.query("SELECT current_database() AS name");
  return rows[0].name;
}

// openFailure explains a failed open with Postgres' own words when it printed any (PGlite's error
// is then only "Aborted()" or "PGlite failed to initialize properly"): its last PANIC or FATAL
// line, else a "postgres: ..." startup error, else its last ERROR line.
export function openFailure(err, pgLog) {
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

// startBackend starts pglite-socket on a private socket and resolves with { backend, path }.
export async function startBackend(db) {
  let sockPath;
  if (process.platform === "win32") {
    sockPath = `\\\\.\\pipe\\pglite-server-${process.pid}-${Math.random().toString(36).slice(2)}`;
  } else {
    backendDir = fs.mkdtempSync(path.join(os.tmpdir(), "pglite-"));
    sockPath = path.join(backendDir, "s");
  }
  // The front enforces --max-connections; pglite-socket must never refuse one of its own.
  const backend = new PGLiteSocketServer({ db, path: sockPath, maxConnections: 1000 });
  await backend.start();
  return { backend, path: sockPath };
}

let backendDir = null;
export function removeBackendDir() {
  if (!backendDir) return;
  try {
    fs.rmSync(backendDir, { recursive: true, force: true });
  } catch {}
  backendDir = null;
}

