#!/usr/bin/env node
// PGlite server for Nize Desktop (PLAN-007 phase 1): serves a PGlite data dir over the Postgres
// wire protocol so nize_api_server's sqlx pool can connect to it.
//
//   node pglite-server.mjs --db=<dir> [--port=<N>] [--database=<name>]
//
// Prints {"port": N} on stdout once listening. Bundled by scripts/build-pglite-server.mjs into
// crates/app/nize_desktop/resources/pglite/, beside vector.tar.gz.
//
// (A nizepack test fixture written in the shape of the app's own entry.)

import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { parseArgs } from "node:util";
import path from "node:path";

const { values } = parseArgs({
  options: {
    db: { type: "string", default: "./pgdata" },
    port: { type: "string", default: "0" },
    // Informational only: the server always serves the database PGlite opens.
    database: { type: "string", default: "nize" },
  },
  strict: false,
});

const dataDir = path.resolve(values.db);
const port = Number.parseInt(values.port, 10);

// pgvector, loaded from vector.tar.gz beside the bundle (the build script copies it there).
const vector = {
  name: "pgvector",
  setup: async (_pg, emscriptenOpts) => ({
    emscriptenOpts,
    bundlePath: new URL("./vector.tar.gz", import.meta.url),
  }),
};

const db = new PGlite({
  dataDir: "file://" + dataDir,
  extensions: { vector },
});
await db.waitReady;
await db.exec("CREATE EXTENSION IF NOT EXISTS vector");

const server = new PGLiteSocketServer({ db, port, host: "127.0.0.1" });

server.addEventListener("listening", (event) => {
  const actualPort = event.detail?.port ?? port;
  process.stdout.write(JSON.stringify({ port: actualPort }) + "\n");
});

server.addEventListener("error", (event) => {
  console.error("pglite-server error:", event.detail);
});

await server.start();

async function shutdown() {
  try {
    await server.stop();
    await db.close();
  } catch (err) {
    console.error("pglite-server: shutdown failed:", err);
  }
  process.exit(0);
}

process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
