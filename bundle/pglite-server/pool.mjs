// pool.mjs — the pure parts of serving many clients on PGlite's one Postgres session (front.mjs
// does the I/O): the per-client names of prepared statements and portals, the rewriting of the
// messages that carry them, the reply to a client's startup packet, and the FIFO queue of
// clients waiting for their turn on the session. No sockets.

import crypto from "node:crypto";
import { cstr, frame, readCstr } from "./wire.mjs";

const NAMEDATALEN = 64; // Postgres keeps the first 63 bytes of a statement's name

// sessionName is the name on the session of a client's prepared statement (kind "s") or portal
// ("p"): pgs_<client>_<name> / pgp_<client>_<name>, or with a hash of the name when that would
// not fit in 63 bytes. The unnamed one stays unnamed (see front.mjs for how it is kept per client).
export function sessionName(kind, client, name) {
  if (name === "") return "";
  const prefix = `pg${kind}_${client}_`;
  const full = prefix + name;
  if (Buffer.byteLength(full) < NAMEDATALEN) return full;
  return prefix + crypto.createHash("sha1").update(name).digest("hex");
}

// renameMessage returns the frontend message msg (a whole frame) with the statement and portal
// names it carries replaced by the client's names on the session, and what it names:
// { msg, statement, portal } (statement: the client's own name it parses, closes or uses; null
// when none). Parse (P), Bind (B), Describe (D), Close (C) and Execute (E) carry names; any other
// message comes back as it is.
export function renameMessage(type, msg, client) {
  const s = (name) => sessionName("s", client, name);
  const p = (name) => sessionName("p", client, name);
  switch (type) {
    case "P": {
      const [name, off] = readCstr(msg, 5);
      if (name === null || name === "") return { msg, statement: name, portal: null };
      return { msg: frame("P", Buffer.concat([cstr(s(name)), msg.subarray(off)])), statement: name, portal: null };
    }
    case "B": {
      const [portal, off1] = readCstr(msg, 5);
      const [stmt, off2] = readCstr(msg, off1);
      if (portal === null || stmt === null) return { msg, statement: null, portal: null };
      if (portal === "" && stmt === "") return { msg, statement: stmt, portal };
      return {
        msg: frame("B", Buffer.concat([cstr(p(portal)), cstr(s(stmt)), msg.subarray(off2)])),
        statement: stmt,
        portal,
      };
    }
    case "D":
    case "C": {
      const kind = String.fromCharCode(msg[5]);
      const [name] = readCstr(msg, 6);
      if (name === null || name === "" || (kind !== "S" && kind !== "P")) {
        return { msg, statement: kind === "S" ? name : null, portal: kind === "P" ? name : null };
      }
      const renamed = kind === "S" ? s(name) : p(name);
      return {
        msg: frame(type, Buffer.concat([Buffer.from(kind, "latin1"), cstr(renamed)])),
        statement: kind === "S" ? name : null,
        portal: kind === "P" ? name : null,
      };
    }
    case "E": {
      const [portal, off] = readCstr(msg, 5);
      if (portal === null || portal === "") return { msg, statement: null, portal };
      return { msg: frame("E", Buffer.concat([cstr(p(portal)), msg.subarray(off)])), statement: null, portal };
    }
    default:
      return { msg, statement: null, portal: null };
  }
}

// startupParams reads a 3.0 StartupMessage (the whole packet) into a Map of its parameters.
export function startupParams(packet) {
  const params = new Map();
  let off = 8;
  for (;;) {
    const [k, o1] = readCstr(packet, off);
    if (k === null || k === "") break;
    const [v, o2] = readCstr(packet, o1);
    if (v === null) break;
    params.set(k, v);
    off = o2;
  }
  return params;
}

// startupPacket is a 3.0 StartupMessage with these parameters.
export function startupPacket(params) {
  const body = Buffer.concat([...Object.entries(params).flatMap(([k, v]) => [cstr(k), cstr(v)]), Buffer.from([0])]);
  const head = Buffer.alloc(8);
  head.writeInt32BE(8 + body.length, 0);
  head.writeInt32BE(196608, 4);
  return Buffer.concat([head, body]);
}

// Startup parameters that are not settings: the rest of a client's startup packet is set for
// that client on the session as if it had run SET (front.mjs).
const NOT_SETTINGS = new Set(["user", "database", "options", "replication"]);

// startupSettings returns the settings of a client's startup parameters as tracked SETs
// ({ name, sql, reset }, like sessionEffects' sets).
export function startupSettings(params) {
  const out = [];
  for (const [k, v] of params) {
    if (NOT_SETTINGS.has(k) || !/^[A-Za-z_][A-Za-z0-9_.]*$/.test(k)) continue;
    const name = k.toLowerCase();
    const literal = `E'${v.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
    out.push({ name, sql: `SET ${name} TO ${literal}`, reset: `RESET ${name}` });
  }
  return out;
}

// startupReply is what a client gets for its startup packet: AuthenticationOk, the backend's
// ParameterStatus messages (whole frames), BackendKeyData and ReadyForQuery (idle).
export function startupReply(parameterStatus, pid, secret) {
  const key = Buffer.alloc(8);
  key.writeInt32BE(pid, 0);
  key.writeInt32BE(secret | 0, 4);
  return Buffer.concat([frame("R", Buffer.alloc(4)), ...parameterStatus, frame("K", key), frame("Z", Buffer.from("I"))]);
}

// TurnQueue is the FIFO of those waiting for their turn on the session. An entry with a timeout
// (timeoutMs > 0) is taken out and handed to onTimeout when it has waited that long.
export class TurnQueue {
  constructor({ onTimeout = () => {} } = {}) {
    this.items = [];
    this.onTimeout = onTimeout;
  }

  get length() {
    return this.items.length;
  }

  has(item) {
    return this.items.some((e) => e.item === item);
  }

  push(item, timeoutMs = 0) {
    if (this.has(item)) return;
    const e = { item, since: Date.now(), timer: null };
    if (timeoutMs > 0) {
      e.timer = setTimeout(() => {
        if (!this.remove(item)) return;
        this.onTimeout(item, Date.now() - e.since);
      }, timeoutMs);
      if (e.timer.unref) e.timer.unref();
    }
    this.items.push(e);
  }

  // remove takes item out of the queue; false when it was not in it.
  remove(item) {
    const i = this.items.findIndex((e) => e.item === item);
    if (i < 0) return false;
    clearTimeout(this.items[i].timer);
    this.items.splice(i, 1);
    return true;
  }

  // shift takes out the first entry and returns its item (undefined when empty).
  shift() {
    const e = this.items.shift();
    if (!e) return undefined;
    clearTimeout(e.timer);
    return e.item;
  }

  clear() {
    for (const e of this.items) clearTimeout(e.timer);
    this.items = [];
  }
}
