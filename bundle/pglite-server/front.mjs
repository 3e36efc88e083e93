// front.mjs — what clients talk to. pglite-socket serves its clients on a private socket (a
// 0700 temp dir's Unix socket, a named pipe on Windows); each client connects to the front,
// which passes its checked frames on through its own connection to pglite-socket and guards
// what pglite-socket does not:
//   - one slot per client (--max-connections); an extra client gets ErrorResponse 53300 after its
//     startup packet, not a bare reset; a client that just left frees its slot before the next
//     one is turned away, so close-then-connect always works;
//   - when a client leaves, its session is reset (ROLLBACK, DISCARD ALL) before the next client
//     gets the slot, as long as no other client shares the session;
//   - frames are checked (lengths, message types) and a client sending a bad one is dropped,
//     where pglite-socket would spin on it forever; a message is reassembled in linear time;
//   - COPY ... FROM STDIN, which ends the PGlite runtime, is replaced by a statement that fails
//     with SQLSTATE 0A000, so the client gets an error and the server keeps serving; the SQL is
//     read with Postgres' lexical rules (sql.mjs);
//   - backpressure both ways: a client's socket is paused while the backend's write buffer is
//     full, and the backend's while the client's is;
//   - whatever goes wrong with one client (a bad frame, a broken backend stream, a bug) ends
//     that client's connection only, never the server.
// No PGlite here: the backend is whatever listens on backendPath.

import net from "node:net";
import { changesDatabases, copyFromStdin } from "./sql.mjs";
import { NAME, oneLine, say } from "./util.mjs";
import {
  BackendScanner,
  CANCEL_REQUEST,
  FrameReader,
  GSSENC_REQUEST,
  PROTOCOL_3_0,
  ProtocolError,
  SSL_REQUEST,
  SYNC,
  cstr,
  errorFrame,
  frame,
  queryFrame,
  readCstr,
} from "./wire.mjs";

export const SLOT_GRACE_MS = 500; // how long a new client waits for a busy slot before 53300
const SLOT_LEAVING_MS = 30000; // ... and for a client that is leaving (its session being reset)
const RESET_TIMEOUT_MS = 30000;

export const COPY_REFUSED =
  "COPY ... FROM STDIN is not supported by pglite-server (PGlite cannot take copy data over the wire); insert the rows with INSERT instead";
const COPY_REFUSAL_SQL = refusalSQL("0A000", COPY_REFUSED);

// refusalSQL is a statement that fails with code and message.
function refusalSQL(code, message) {
  return `DO $pglite_server$ BEGIN RAISE EXCEPTION USING ERRCODE = '${code}', MESSAGE = '${message.replace(/'/g, "''")}'; END $pglite_server$`;
}

function otherDatabasesRefusalSQL(why) {
  return refusalSQL(
    "55000",
    `template1, template0 and postgres of this seeded data dir are not on disk (${why}), so pglite-server refuses CREATE, DROP and ALTER DATABASE`,
  );
}

// sqlOf is the SQL of a Query or Parse message, else null.
export function sqlOf(type, msg) {
  if (type === "Q") return readCstr(msg, 5)[0];
  if (type === "P") {
    const [name, off] = readCstr(msg, 5);
    return name === null ? null : readCstr(msg, off)[0];
  }
  return null;
}

export class Front {
  // otherDatabases: { missing, why, finishing } (seed.mjs), read at each message.
  constructor({ maxConnections, backendPath, otherDatabases = { missing: false, why: "", finishing: null } }) {
    this.max = maxConnections;
    this.backendPath = backendPath;
    this.otherDatabases = otherDatabases;
    this.sockets = new Set(); // every open client socket
    this.holders = new Set(); // the sessions that hold a slot
    this.waiters = [];
    this.server = net.createServer({ noDelay: true }, (sock) => {
      this.sockets.add(sock);
      sock.on("close", () => this.sockets.delete(sock));
      try {
        new Session(this, sock);
      } catch (err) {
        say(`dropped a client after an internal error: ${oneLine(err)}`);
        sock.destroy();
      }
    });
  }

  listen(host, port) {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => {
        this.server.off("error", reject);
        this.server.on("error", (err) => say(oneLine(err)));
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

  // shared: does a client other than this one hold the session?
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
    this.reader = new FrameReader();
    this.backend = null;
    this.scanner = new BackendScanner();
    this.pendingZ = 0; // ReadyForQuery messages the backend still owes
    this.resetDone = null;
    this.held = false;
    this.clientPauses = new Set(); // why the client's socket is paused
    this.backendPauses = new Set(); // why the backend's is
    sock.setNoDelay(true);
    sock.on("data", (d) => this.safely(() => this.onClientData(d)));
    sock.on("end", () => this.safely(() => this.leave()));
    sock.on("close", () => this.safely(() => this.leave()));
    sock.on("error", () => this.safely(() => this.leave()));
  }

  // safely runs fn; anything it throws ends this client's connection, not the server.
  safely(fn) {
    try {
      const r = fn();
      if (r && typeof r.catch === "function") r.catch((err) => this.crash(err));
    } catch (err) {
      this.crash(err);
    }
  }

  crash(err) {
    if (err instanceof ProtocolError) {
      this.drop(err.code, err.message);
      return;
    }
    say(`dropped a client after an internal error: ${oneLine(err)}`);
    try {
      this.destroy();
    } catch {}
    if (this.state !== "closed") {
      this.state = "closed";
      this.front.release(this);
    }
  }

  pauseClient(why) {
    this.clientPauses.add(why);
    this.sock.pause();
  }

  resumeClient(why) {
    this.clientPauses.delete(why);
    if (this.clientPauses.size === 0 && !this.sock.destroyed) this.sock.resume();
  }

  pauseBackend(why) {
    this.backendPauses.add(why);
    this.backend.pause();
  }

  resumeBackend(why) {
    this.backendPauses.delete(why);
    if (this.backendPauses.size === 0 && this.backend && !this.backend.destroyed) this.backend.resume();
  }

  onClientData(d) {
    if (this.state !== "startup" && this.state !== "waiting" && this.state !== "ready") return;
    this.reader.push(d);
    this.pump();
  }

  pump() {
    while (!this.held && (this.state === "startup" || this.state === "ready")) {
      if (this.state === "startup") {
        const msg = this.reader.startup();
        if (!msg) return;
        const code = msg.readInt32BE(4);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          this.sock.write("N"); // no SSL, no GSSAPI: the client goes on in plain text
          continue;
        }
        if (code === CANCEL_REQUEST) return this.destroy(); // not supported; Postgres closes too
        if (code !== PROTOCOL_3_0) {
          return this.drop("0A000", `unsupported frontend protocol ${code >>> 16}.${code & 0xffff}: pglite-server speaks 3.0`);
        }
        this.state = "waiting";
        this.safely(() => this.start(msg));
        return;
      }
      const m = this.reader.message();
      if (!m) return;
      const { type, msg } = m;
      const sql = sqlOf(type, msg);
      const od = this.front.otherDatabases;
      if (od.finishing && sql !== null && changesDatabases(sql)) {
        // Held until a seeded first start has written template1 and the others (and this
        // session's later messages with it, in order).
        this.held = true;
        this.pauseClient("held");
        od.finishing.finally(() =>
          this.safely(() => {
            this.held = false;
            if (this.state !== "ready") return;
            this.onMessage(type, msg, sql);
            this.resumeClient("held");
            this.pump();
          }),
        );
        return;
      }
      this.onMessage(type, msg, sql);
    }
  }

  async start(startup) {
    this.pauseClient("slot");
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
      say(`refused a connection (53300): ${n} client${n === 1 ? "" : "s"} already connected`);
      this.drop("53300", msg, false);
      return;
    }
    const b = net.createConnection(this.front.backendPath);
    this.backend = b;
    b.on("data", (d) => this.safely(() => this.onBackendData(d)));
    const gone = () =>
      this.safely(() => {
        if (this.resetDone) this.resetDone();
        else this.destroy();
      });
    b.on("close", gone);
    b.on("error", gone);
    this.pendingZ = 1;
    b.write(startup);
    this.state = "ready";
    this.resumeClient("slot");
    this.pump();
  }

  onMessage(type, msg, sql) {
    switch (type) {
      case "X": // Terminate
        this.leave();
        return;
      case "c":
      case "d":
      case "f": // copy data outside COPY mode: Postgres ignores these too
        return;
      case "Q":
      case "P": {
        if (sql === null) break;
        const od = this.front.otherDatabases;
        let refusal = null;
        if (copyFromStdin(sql)) refusal = COPY_REFUSAL_SQL;
        else if (od.missing && changesDatabases(sql)) refusal = otherDatabasesRefusalSQL(od.why);
        if (!refusal) break;
        if (type === "Q") msg = queryFrame(refusal);
        else msg = frame("P", Buffer.concat([cstr(readCstr(msg, 5)[0]), cstr(refusal), Buffer.from([0, 0])]));
        break;
      }
    }
    if (type === "Q" || type === "S" || type === "F") this.pendingZ++;
    if (!this.backend.write(msg) && !this.clientPauses.has("backend")) {
      // The backend's buffer is full: read no more from the client until it drains.
      this.pauseClient("backend");
      this.backend.once("drain", () => this.safely(() => this.resumeClient("backend")));
    }
  }

  onBackendData(d) {
    const ready = this.scanner.scan(d);
    this.pendingZ = Math.max(0, this.pendingZ - ready);
    if (this.state === "ready") {
      if (!this.sock.write(d) && !this.backendPauses.has("client")) {
        // The client reads slower than the backend answers: stop reading the backend until it
        // catches up.
        this.pauseBackend("client");
        this.sock.once("drain", () => this.safely(() => this.resumeBackend("client")));
      }
    } else if (this.resetDone && this.pendingZ === 0) {
      this.resetDone();
    }
  }

  // drop answers with a FATAL ErrorResponse and closes the connection.
  drop(code, message, log = true) {
    if (log) say(`dropped a client: ${message}`);
    if (this.sock.writable) this.sock.end(errorFrame("FATAL", code, message));
    this.clientPauses.clear();
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
      // What the backend still sends is read and dropped, never held back by the client.
      this.backendPauses.clear();
      b.resume();
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
