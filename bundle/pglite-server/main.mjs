// pglite-server — nizepack's canonical PGlite server for Nize Desktop (this is its entry).
//
// Serves one Postgres database (with pgvector) from a PGlite data dir over the Postgres wire
// protocol on 127.0.0.1, for the API server sidecar. Bundled by `nizepack bundle-pglite` (from
// this folder, embedded in nizepack, into one file) into resources/pglite/pglite-server.mjs and
// run by the bundled Node sidecar:
//
//   node pglite-server.mjs --db=<dir> [--port=<N>] [--database=<name>] [--max-connections=<N>]
//                          [--host=<addr>] [--parent-pid=<N>] [--exit-on-stdin-close]
//
// nizepack-pglite-server: seed-format=2
//   (The line above declares to nizepack's bundler that this entry reads the seed it makes,
//   pglite-seed.tar.gz in that format; an entry without it gets no seed.)
//
// The modules: args.mjs (the command line), lock.mjs (the data dir's lock), tar.mjs and
// seed.mjs (the seeded first start), sql.mjs (Postgres' lexical rules), wire.mjs (frames),
// front.mjs (what clients talk to), db.mjs (PGlite and pglite-socket), and this file, the
// lifecycle. Each but db.mjs and this one has node --test tests beside it (*.test.mjs).
//
// Contract with the app:
//   - stdout carries exactly one line once the server accepts connections, port first:
//     {"port": N, "database": "<served>", "seeded": true|false, "pglite": "<version>"}.
//     "database" is the database clients are served (PGlite 0.3.x serves template1 whatever
//     --database says); "seeded" says whether this start unpacked the seed. Readers that want
//     the port alone (the app's serde struct) ignore the rest. Everything else (PGlite's own
//     logging included) goes to stderr.
//   - The data dir is locked exclusively (lock.mjs); a second server on the same dir exits 1
//     naming the dir and the holder's PID. A lock whose holder is gone is taken over, and
//     PGlite's own leftovers of the dead server (postmaster.pid) are removed.
//   - Bad arguments: one usage line on stderr, exit 2. Any other failure (busy port, unreadable
//     dir, failed init): one line on stderr, exit 1, no stack trace.
//   - SIGTERM/SIGINT, the death of --parent-pid, EOF on stdin with --exit-on-stdin-close: stop
//     accepting, CHECKPOINT and close the database, release the lock, exit 0.
//   - Clients: PGlite is ONE Postgres session. The front (front.mjs) serves up to
//     --max-connections clients at once (default 16; one more gets SQLSTATE 53300) over its one
//     connection to pglite-socket, the way PgBouncer serves a pool in transaction mode: each
//     client's transaction runs alone in its turn while the others wait (FATAL 57014 after 30 s),
//     named prepared statements and portals are renamed per client (sqlx_s_1 on five
//     connections never collides), SETs are kept per client, what a leaving client left is
//     undone (its statements closed, its SQL PREPAREs, temp tables and advisory locks released;
//     ROLLBACK and DISCARD ALL when it was the last client), and LISTEN, DISCARD ALL and
//     DEALLOCATE ALL are refused with 0A000. Frames are checked before pglite-socket sees them
//     (a bad one drops that client), and COPY ... FROM STDIN, which would kill PGlite, fails
//     with SQLSTATE 0A000 instead.

import { Console } from "node:console";
import net from "node:net";
import process from "node:process";
import { USAGE, parseOptions } from "./args.mjs";
import { openDatabase, pgliteVersion, removeBackendDir, startBackend } from "./db.mjs";
import { Front } from "./front.mjs";
import { acquireLock, pidAlive, releaseLock } from "./lock.mjs";
import { finishPendingSeed, otherDatabases, seedDataDir } from "./seed.mjs";
import { CleanError, NAME, UsageError, oneLine, say } from "./util.mjs";

// Everything but the port line goes to stderr, whoever logs it.
const stderrConsole = new Console({ stdout: process.stderr, stderr: process.stderr });
for (const k of ["log", "info", "debug", "warn", "error", "trace", "dir", "table"]) {
  globalThis.console[k] = stderrConsole[k].bind(stderrConsole);
}

let lock = null; // { path, fd } while we hold the data dir
let exiting = false;

function unlock() {
  const l = lock;
  lock = null;
  releaseLock(l);
}

function fail(err) {
  if (exiting) return;
  exiting = true;
  const usage = err instanceof UsageError;
  process.stderr.write(`${NAME}: ${oneLine(err)}\n`);
  if (usage) process.stderr.write(`${USAGE}\n`);
  unlock();
  process.exit(usage ? 2 : 1);
}

process.on("uncaughtException", fail);
process.on("unhandledRejection", fail);

// A signal may come at any time, even while PGlite is still starting: it ends the process with 0
// after closing whatever is open.
let db = null;
let front = null;
let backend = null;
let opening = null;
let stopping = false;
async function stop(why) {
  if (stopping) return;
  stopping = true;
  if (why) say(`${why}; stopping`);
  try {
    if (otherDatabases.finishing) await otherDatabases.finishing;
    if (opening) db = await opening.then((o) => o.db).catch(() => null);
    if (front) await front.close();
    if (backend) await backend.stop();
    if (db) {
      // PGlite's NodeFS never fsyncs: a checkpoint at least leaves the files consistent on disk.
      await db.exec("CHECKPOINT").catch(() => {});
      await db.close();
    }
  } catch (err) {
    say(`stopping: ${oneLine(err)}`);
  }
  removeBackendDir();
  unlock();
  exiting = true;
  process.exit(0);
}
process.on("SIGTERM", () => stop());
process.on("SIGINT", () => stop());
process.on("exit", () => {
  removeBackendDir();
  unlock();
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
  lock = acquireLock(opts.db);
  const seeded = await seedDataDir(opts.db, opts.database, () => stopping);
  if (seeded) say(seeded.line);
  else {
    const finished = await finishPendingSeed(opts.db);
    if (finished) say(`finished an interrupted seeded first start: ${finished}`);
  }
  if (stopping) return;
  opening = openDatabase(opts.db, opts.database);
  const opened = await opening;
  db = opened.db;
  opening = null;
  if (stopping) return;
  const started = await startBackend(db);
  backend = started.backend;
  if (stopping) return;
  front = new Front({ maxConnections: opts.maxConnections, backendPath: started.path, database: opened.served, otherDatabases, defaults: opened.defaults });
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
    otherDatabases.finishing = seeded
      .finish()
      .then((line) => line && say(line))
      .catch((err) => {
        otherDatabases.why = oneLine(err);
        say(`${otherDatabases.why}; the next start finishes it`);
      })
      .finally(() => {
        otherDatabases.finishing = null;
      });
  }
}

main().catch(fail);
