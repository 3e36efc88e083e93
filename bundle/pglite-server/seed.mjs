// seed.mjs — the seeded first start. When the data dir is empty (or missing) and the seed beside
// the bundle holds the database asked for, the dir is unpacked from the seed and PGlite opens it
// like any existing dir: no initdb, no create-then-reopen. A non-empty dir is never touched;
// another database is created as before. A seed made with another PGlite than the one bundled
// (per the manifest beside the bundle) is refused, never loaded. Unpacking uses Node's zlib and
// the tar reader in tar.mjs, no tar binary. No PGlite here.

import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";
import { streamTarEntries } from "./tar.mjs";
import { CleanError, describeFsError, mkdirAll, oneLine, say } from "./util.mjs";
import contract from "./contract.json" with { type: "json" };

// The seed `nizepack bundle-pglite` leaves beside the bundle: a gzipped tar of a first start's
// data dir whose first entry, SEED_META, names its database and the PGlite that made it.
export const SEED_FILE = contract.seedFile;
export const SEED_META = contract.seedMeta;
export const MANIFEST_FILE = contract.manifestFile;
// Present in the data dir while a seed is being unpacked: a dir holding it is ours to clear.
export const UNPACKING = ".pglite-seed-unpacking";
// Present while the databases a seeded first start writes after opening are owed (see
// deferredDb); it holds them until each is renamed into base/.
export const PENDING = ".pglite-seed-pending";
const PENDING_SEED = "seed.sha256"; // in PENDING: the seed that owes them

// otherDatabases is what the front needs to know of template1, template0 and postgres of a
// seeded dir: missing (owed, or unfinishable: why says why), and finishing, the promise of
// their being written after the server listens (set by main), until which the statements that
// read them are held.
export const otherDatabases = { missing: false, why: "", finishing: null };

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
function clearInterruptedUnpack(dir, tell = true) {
  if (!fs.existsSync(path.join(dir, UNPACKING))) return;
  for (const n of fs.readdirSync(dir)) {
    if (n === UNPACKING) continue;
    fs.rmSync(path.join(dir, n), { recursive: true, force: true });
  }
  fs.unlinkSync(path.join(dir, UNPACKING));
  if (tell) say(`cleared an interrupted seed unpack in ${dir}`);
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
  const version = m && m.packages && m.packages[contract.pglitePackage];
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
export const canDefer = (meta) => ![meta.database, meta.served].some((d) => INITDB_DATABASES.includes(d));
export function deferredDb(name) {
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
export async function seedDataDir(dir, database, stopped = () => false) {
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
    const result = await unpackSeed(dir, database, seed, seedPath, meta, t0, stopped);
    handedOff = result.finish !== null;
    return result;
  } finally {
    if (!handedOff) seed.close();
  }
}

// unpackSeed is seedDataDir once the seed applies: all but the deferred databases, now.
async function unpackSeed(dir, database, seed, seedPath, meta, t0, stopped) {
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
  otherDatabases.missing = true;
  otherDatabases.why = "still being written";
  return {
    line: `${line}; template1, template0 and postgres follow once it listens`,
    finish: () => writeDeferred(dir, seedPath, later, rest, stopped).finally(() => seed.close()),
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
  otherDatabases.missing = false;
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
export async function finishPendingSeed(dir) {
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
    otherDatabases.missing = true;
    otherDatabases.why = `a seeded first start stopped before it wrote them, and ${why}`;
    say(
      `warning: ${dir} lacks template1, template0 and postgres: ${otherDatabases.why}; serving it anyway, with CREATE, DROP and ALTER DATABASE refused (restore the app's seed, or start afresh from an empty dir)`,
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

