// args.mjs — the command line. Pure: parseOptions throws UsageError (exit 2) on anything wrong.

import path from "node:path";
import { parseArgs } from "node:util";
import { UsageError, oneLine } from "./util.mjs";

export const USAGE =
  "usage: pglite-server --db=<dir> [--port=<N>] [--database=<name>] [--max-connections=<N>] [--host=<addr>] [--parent-pid=<N>] [--exit-on-stdin-close]";

// DATABASE_NAME is what --database accepts (bundle.databaseName on the Go side is the same).
export const DATABASE_NAME = /^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/;

// parseOptions reads argv (without node and the script) into
// { db, port, database, maxConnections, host, parentPid, exitOnStdinClose }; db is absolute.
export function parseOptions(argv) {
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
        "max-connections": { type: "string", default: "16" },
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
  if (!DATABASE_NAME.test(values.database)) {
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
