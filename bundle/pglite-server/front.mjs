// front.mjs — what clients talk to. pglite-socket serves PGlite on a private socket (a 0700 temp
// dir's Unix socket, a named pipe on Windows); the front holds ONE connection to it (PGlite is one
// Postgres session, and pglite-socket 0.0.x serves one connection at a time anyway) and serves
// many clients over it, the way PgBouncer (>= 1.21) serves prepared statements in transaction
// mode:
//   - up to --max-connections clients at once (default 16); one more gets ErrorResponse 53300
//     after its startup packet, not a bare reset. A client that just left frees its slot at
//     once. The front answers a client's startup itself (the backend's ParameterStatus values);
//   - turns: a client's messages run on the session only in its turn, which lasts from its first
//     message until the backend's ReadyForQuery says idle ('I') again with nothing of it still
//     in flight, so a transaction (BEGIN ... COMMIT, an extended-protocol batch up to its Sync)
//     runs alone. The others wait in a FIFO queue; one that waits more than 30 s (another
//     client's transaction held the session all that time) is dropped with FATAL 57014 naming
//     the wait;
//   - prepared statements and portals are kept per client: a named one is renamed on the
//     session (sqlx_s_1 of client 7 is pgs_7_sqlx_s_1, its portals pgp_7_...), in Parse, Bind,
//     Describe, Close and Execute, so five connections preparing sqlx_s_1 never collide (no
//     42P05). The unnamed statement keeps its name: when another client parsed its own since a
//     client's last unnamed Parse, that Parse runs again (answers dropped) before the client's
//     turn goes on;
//   - session state: everything the clients run shares the one session, so what lasts beyond a
//     transaction is either kept per client or refused:
//       SET / RESET (search_path and any other setting, SET SCHEMA, SET TIME ZONE, SET ROLE ...;
//         also the settings of a client's startup packet): tracked per client; at the start of
//         its turn the front undoes (RESET) what others set and sets again what it set, so each
//         client sees its own settings and a closed client's never reach another. SET LOCAL and
//         set_config(..., true) last their transaction, which runs alone anyway;
//       set_config(..., false): not tracked by name: when the client that called it leaves, the
//         front runs RESET ALL (the others' SETs are set again at their next turn);
//       prepared statements (protocol): per client as above, closed when the client leaves;
//       PREPARE / EXECUTE / DEALLOCATE in SQL: the names are the session's (two clients
//         preparing the same name at once get Postgres' 42P05); tracked, and DEALLOCATEd when
//         the client leaves;
//       temp tables: the session's (seen by the other clients while the creator is connected);
//         tracked, and dropped when the client leaves;
//       session-level advisory locks (pg_advisory_lock ...): allowed, but on one session they
//         never exclude another client; when a client that took one leaves, the front runs
//         pg_advisory_unlock_all(); pg_advisory_xact_lock is per transaction, so per client;
//       LISTEN, DISCARD ALL, DEALLOCATE ALL: refused with SQLSTATE 0A000 and a message saying
//         why (a notification could not reach the listening client; the other two would drop
//         the other clients' prepared statements);
//     when a client leaves in its turn, its open batch is ended and its transaction rolled
//     back; when the last client leaves, the front runs ROLLBACK and DISCARD ALL, so a lone next
//     client starts with a clean session (cursors WITH HOLD included);
//   - frames are checked (lengths, message types) and a client sending a bad one is dropped,
//     where pglite-socket would spin on it forever; a message is reassembled in linear time;
//   - COPY ... FROM STDIN, which ends the PGlite runtime, is replaced by a statement that fails
//     with SQLSTATE 0A000, so the client gets an error and the server keeps serving; the SQL is
//     read with Postgres' lexical rules (sql.mjs);
//   - backpressure both ways: a client's socket is paused while the backend's write buffer is
//     full, and the backend's while the client whose turn it is does not read;
//   - whatever goes wrong with one client (a bad frame, a bug) ends that client's connection
//     only, never the server; a broken backend stream ends the client whose turn it was and the
//     front connects to pglite-socket again.
// No PGlite here: the backend is whatever listens on backendPath. The pure parts are in pool.mjs.

import crypto from "node:crypto";
import net from "node:net";
import {
  TurnQueue,
  renameMessage,
  sessionName,
  startupPacket,
  startupParams,
  startupReply,
  startupSettings,
} from "./pool.mjs";
import { changesDatabases, copyFromStdin, quoteIdent, sessionEffects } from "./sql.mjs";
import { oneLine, say } from "./util.mjs";
import {
  BACKEND_TYPES,
  CANCEL_REQUEST,
  FrameReader,
  GSSENC_REQUEST,
  MAX_BACKEND_MESSAGE,
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
export const TURN_TIMEOUT_MS = 30000; // how long a client waits for its turn before 57014

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

// Messages after which the backend sends ReadyForQuery: they end a unit (see Front.send).
const ENDS_UNIT = new Set(["Q", "S", "F"]);
const typeOf = (msg) => String.fromCharCode(msg[0]);

export class Front {
  // database: the database named in the front's own startup packet to the backend.
  // otherDatabases: { missing, why, finishing } (seed.mjs), read at each message.
  constructor({
    maxConnections,
    backendPath,
    database = "postgres",
    turnTimeoutMs = TURN_TIMEOUT_MS,
    otherDatabases = { missing: false, why: "", finishing: null },
    defaults = new Map(),
  }) {
    // defaults: the session's own settings a RESET would not give back (db.mjs), name → SET;
    // set again after every reset the front makes.
    this.defaults = defaults;
    this.max = maxConnections;
    this.backendPath = backendPath;
    this.database = database;
    this.turnTimeoutMs = turnTimeoutMs;
    this.otherDatabases = otherDatabases;
    this.sockets = new Set(); // every open client socket
    this.clients = new Set(); // the admitted clients (they hold a slot)
    this.slotWaiters = new Set();
    this.nextId = 1;
    this.closing = false;
    // The backend: one connection, started up once.
    this.backend = null;
    this.connecting = null; // the promise of a started backend connection
    this.ready = false; // ... and whether it is started
    this.parameterStatus = []; // the backend's ParameterStatus frames at startup
    this.backendPauses = new Set(); // the clients whose full socket pauses the backend
    // One entry per ReadyForQuery the backend owes, oldest first: { session, only } (whose
    // answers they are: a Session, or null for the front's own; only: the one message type that
    // goes to the session, or null for all).
    this.units = [];
    this.openUnit = false; // the last entry's messages have not ended with Q, S or F yet
    this.owner = null; // whose turn it is: a Session or a Job
    this.queue = new TurnQueue({ onTimeout: (session, waited) => session.turnTimedOut(waited) });
    this.applied = new Map(); // the tracked settings in effect on the session: name → { sql, reset }
    this.unnamedOwner = null; // the client whose unnamed statement the session holds
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

  async listen(host, port) {
    await this.connectBackend();
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => {
        this.server.off("error", reject);
        this.server.on("error", (err) => say(oneLine(err)));
        resolve(this.server.address().port);
      });
    });
  }

  // connectBackend resolves once the backend connection is up and started.
  connectBackend() {
    if (this.connecting) return this.connecting;
    this.connecting = new Promise((resolve, reject) => {
      const b = net.createConnection(this.backendPath);
      const reader = new FrameReader(BACKEND_TYPES, MAX_BACKEND_MESSAGE);
      let started = false;
      const statuses = [];
      const fail = (err) => {
        if (!started) {
          started = true;
          this.connecting = null;
          if (this.backend === b) this.backend = null;
          this.units = [];
          b.destroy();
          reject(err);
          return;
        }
        this.backendFailed(b, err);
      };
      b.on("data", (d) => {
        try {
          this.onBackendData(b, reader, d);
        } catch (err) {
          fail(err);
        }
      });
      b.on("error", fail);
      b.on("close", () => fail(new Error("the backend closed the connection")));
      this.backend = b;
      this.units = [
        {
          session: null,
          only: null,
          startup: (type, msg) => {
            if (type === "S") statuses.push(msg);
            else if (type === "E") fail(new Error(`the backend refused the startup: ${errorText(msg)}`));
            else if (type === "R") {
              // PGlite 0.3 asks for an MD5 password (any will do): answer as a client would.
              const code = msg.readInt32BE(5);
              if (code === 3) b.write(frame("p", cstr("")));
              else if (code === 5) b.write(frame("p", cstr(md5Password("postgres", "", msg.subarray(9, 13)))));
              else if (code !== 0) fail(new Error(`the backend asks for an authentication the front does not speak (${code})`));
            }
            else if (type === "Z" && !started) {
              started = true;
              this.parameterStatus = statuses;
              this.ready = true;
              resolve();
              this.schedule();
            }
          },
        },
      ];
      this.openUnit = false;
      b.write(startupPacket({ user: "postgres", database: this.database }));
    });
    return this.connecting;
  }

  // backendFailed ends a broken backend connection: the client whose turn it was is dropped,
  // the others wait for a new connection.
  backendFailed(b, err) {
    if (b !== this.backend) return;
    this.backend = null;
    this.connecting = null;
    this.ready = false;
    b.destroy();
    this.units = [];
    this.openUnit = false;
    this.backendPauses.clear();
    this.unnamedOwner = null;
    const o = this.owner;
    this.owner = null;
    if (this.closing) return;
    say(`lost the connection to pglite-socket (${oneLine(err)}); connecting again`);
    if (o instanceof Session) o.crash(err instanceof ProtocolError ? err : new ProtocolError("08006", `lost the connection to PGlite: ${oneLine(err)}`));
    this.connectBackend()
      .then(() => this.schedule())
      .catch((e) => say(`cannot connect to pglite-socket again: ${oneLine(e)}`));
  }

  onBackendData(b, reader, d) {
    if (b !== this.backend) return;
    reader.push(d);
    const corked = new Set();
    try {
      for (;;) {
        const m = reader.message();
        if (!m) break;
        this.onBackendMessage(m.type, m.msg, corked);
        if (b !== this.backend) break;
      }
    } finally {
      for (const sock of corked) sock.uncork();
    }
  }

  onBackendMessage(type, msg, corked) {
    const u = this.units[0];
    if (!u) return; // nobody's (a notice between turns)
    if (u.startup) {
      if (type === "Z") this.units.shift();
      u.startup(type, msg);
      return;
    }
    const s = u.session;
    if (s && !s.gone && (u.only === null || u.only === type)) {
      if (!corked.has(s.sock)) {
        s.sock.cork();
        corked.add(s.sock);
      }
      if (!s.sock.write(msg)) this.pauseBackend(s);
    }
    if (type !== "Z") return;
    this.units.shift();
    if (s && u.only === null) s.status = String.fromCharCode(msg[5]);
    this.afterReady();
  }

  pauseBackend(session) {
    if (this.backendPauses.has(session) || !this.backend) return;
    this.backendPauses.add(session);
    this.backend.pause();
    session.sock.once("drain", () => this.resumeBackend(session));
  }

  resumeBackend(session) {
    if (!this.backendPauses.delete(session)) return;
    if (this.backendPauses.size === 0 && this.backend && !this.backend.destroyed) this.backend.resume();
  }

  // send writes a message to the backend for session (null: the front's own, answers dropped;
  // only: see units) and returns false when the backend's buffer is full.
  send(msg, session, only = null) {
    const type = typeOf(msg);
    if (!this.openUnit) {
      this.units.push({ session, only });
      this.openUnit = true;
    }
    if (ENDS_UNIT.has(type)) this.openUnit = false;
    if (type === "Q") this.unnamedOwner = null; // a simple Query destroys the unnamed statement
    return this.backend.write(msg);
  }

  afterReady() {
    if (this.owner) this.owner.maybeEndTurn();
    else this.schedule();
  }

  // wantTurn queues a client for its turn.
  wantTurn(session) {
    if (this.owner === session || this.queue.has(session)) return;
    this.queue.push(session, this.turnTimeoutMs);
    this.schedule();
  }

  endTurn() {
    this.owner = null;
    this.schedule();
  }

  // schedule gives the turn to the next in the queue when it is nobody's.
  schedule() {
    while (!this.owner && this.ready && this.units.length === 0 && this.queue.length > 0) {
      const next = this.queue.shift();
      if (next instanceof Session && next.state !== "ready") continue;
      this.owner = next;
      next.beginTurn();
    }
  }

  // prepareTurn makes the session the client's: the settings it set (and no others'), and its
  // unnamed statement.
  prepareTurn(session) {
    for (const [name, e] of this.applied) {
      if (!session.sets.has(name)) {
        this.send(queryFrame(this.defaults.get(name) || e.reset), session, "S");
        this.applied.delete(name);
      }
    }
    for (const [name, e] of session.sets) {
      const now = this.applied.get(name);
      if (!now || now.sql !== e.sql) {
        this.send(queryFrame(e.sql), session, "S");
        this.applied.set(name, e);
      }
    }
    if (session.unnamedParse && this.unnamedOwner !== session) {
      this.send(session.unnamedParse, session, "");
      this.send(SYNC, session, "");
      this.unnamedOwner = session;
    }
  }

  // cleanup is the Job that undoes what a leaving client left on the session (owner: it leaves
  // in its turn, maybe in a transaction or a batch).
  cleanup(session, owner) {
    const msgs = [];
    let onRun = null;
    if (owner && this.openUnit) msgs.push(SYNC);
    if (owner) msgs.push(queryFrame("ROLLBACK"));
    if (this.clients.size === 0) {
      if (!owner) msgs.push(queryFrame("ROLLBACK"));
      msgs.push(queryFrame("DISCARD ALL"));
      for (const sql of this.defaults.values()) msgs.push(queryFrame(sql));
      onRun = () => {
        this.applied.clear();
        this.unnamedOwner = null;
      };
    } else {
      if (session.statements.size > 0) {
        for (const name of session.statements) {
          msgs.push(frame("C", Buffer.concat([Buffer.from("S"), cstr(sessionName("s", session.id, name))])));
        }
        msgs.push(SYNC);
      }
      for (const name of session.prepared) msgs.push(queryFrame(`DEALLOCATE ${quoteIdent(name)}`));
      for (const name of session.temps) msgs.push(queryFrame(`DROP TABLE IF EXISTS pg_temp.${quoteIdent(name)}`));
      if (session.advisory) msgs.push(queryFrame("SELECT pg_advisory_unlock_all()"));
      if (session.setConfig) {
        msgs.push(queryFrame("RESET ALL"));
        for (const sql of this.defaults.values()) msgs.push(queryFrame(sql));
        onRun = () => this.applied.clear();
      }
    }
    if (this.unnamedOwner === session) this.unnamedOwner = null;
    if (msgs.length === 0 && !owner) return null;
    return new Job(this, msgs, onRun);
  }

  // slotFreed resolves when a client leaves, or after ms.
  slotFreed(ms) {
    return new Promise((resolve) => {
      const w = () => {
        clearTimeout(timer);
        this.slotWaiters.delete(w);
        resolve();
      };
      const timer = setTimeout(w, ms);
      this.slotWaiters.add(w);
    });
  }

  release(session) {
    if (!this.clients.delete(session)) return false;
    for (const w of [...this.slotWaiters]) w();
    return true;
  }

  close() {
    this.closing = true;
    this.queue.clear();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      for (const sock of this.sockets) sock.destroy();
      if (this.backend) this.backend.destroy();
    });
  }
}

// md5Password is a PasswordMessage's text for AuthenticationMD5Password.
function md5Password(user, password, salt) {
  const md5 = (b) => crypto.createHash("md5").update(b).digest("hex");
  return `md5${md5(Buffer.concat([Buffer.from(md5(password + user)), salt]))}`;
}

// errorText is an ErrorResponse's SQLSTATE and message.
function errorText(msg) {
  const fields = {};
  for (let off = 5; off < msg.length && msg[off] !== 0; ) {
    const [v, next] = readCstr(msg, off + 1);
    fields[String.fromCharCode(msg[off])] = v;
    off = next;
  }
  return `${fields.C || "?"}: ${fields.M || ""}`;
}

// Job is the front's own turn: messages whose answers are dropped.
class Job {
  constructor(front, msgs, onRun) {
    this.front = front;
    this.msgs = msgs;
    this.onRun = onRun;
  }

  beginTurn() {
    if (this.onRun) this.onRun();
    for (const m of this.msgs) this.front.send(m, null);
    this.maybeEndTurn();
  }

  maybeEndTurn() {
    const f = this.front;
    if (f.owner === this && f.units.length === 0 && !f.openUnit) f.endTurn();
  }
}

class Session {
  constructor(front, sock) {
    this.front = front;
    this.sock = sock;
    this.state = "startup"; // startup → admitting → ready → closed
    this.gone = false;
    this.id = 0;
    this.reader = new FrameReader();
    this.held = false;
    this.status = "I"; // the transaction status of its last ReadyForQuery
    this.clientPauses = new Set(); // why the client's socket is paused
    // What it keeps on the session (see the header).
    this.sets = new Map(); // name → { sql, reset }
    this.statements = new Set(); // its named prepared statements (its names)
    this.unnamedParse = null; // its last Parse of the unnamed statement, while it may exist
    this.prepared = new Set(); // SQL PREPARE names
    this.temps = new Set(); // temp tables
    this.advisory = false;
    this.setConfig = false;
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
      this.sock.destroy();
      this.leave();
    } catch {}
  }

  pauseClient(why) {
    this.clientPauses.add(why);
    this.sock.pause();
  }

  resumeClient(why) {
    this.clientPauses.delete(why);
    if (this.clientPauses.size === 0 && !this.sock.destroyed) this.sock.resume();
  }

  onClientData(d) {
    if (this.state === "closed") return;
    this.reader.push(d);
    this.pump();
  }

  pump() {
    const front = this.front;
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
        this.state = "admitting";
        this.safely(() => this.admit(msg));
        return;
      }
      if (front.owner !== this) {
        const h = this.reader.header();
        if (!h) return;
        if (h.type === "X") return this.leave(); // Terminate needs no turn
        if (this.reader.length < 1 + h.len) return;
        this.pauseClient("turn");
        front.wantTurn(this);
        return;
      }
      const m = this.reader.message();
      if (!m) break;
      const { type, msg } = m;
      const sql = sqlOf(type, msg);
      const od = front.otherDatabases;
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
    if (front.owner === this) this.maybeEndTurn();
  }

  async admit(startup) {
    this.pauseClient("startup");
    const front = this.front;
    try {
      await front.connectBackend();
    } catch (err) {
      if (this.state === "admitting") this.drop("08006", `cannot reach PGlite: ${oneLine(err)}`);
      return;
    }
    const deadline = Date.now() + SLOT_GRACE_MS;
    while (this.state === "admitting" && front.clients.size >= front.max && Date.now() < deadline) {
      await front.slotFreed(deadline - Date.now());
    }
    if (this.state !== "admitting") return;
    if (front.clients.size >= front.max) {
      const n = front.max;
      const msg =
        `too many connections: this pglite-server serves --max-connections=${n} client${n === 1 ? "" : "s"} at a time; ` +
        "use fewer connections (a smaller pool) or raise --max-connections";
      say(`refused a connection (53300): ${n} client${n === 1 ? "" : "s"} already connected`);
      this.drop("53300", msg, false);
      return;
    }
    front.clients.add(this);
    this.id = front.nextId++;
    this.state = "ready";
    for (const s of startupSettings(startupParams(startup))) this.sets.set(s.name, s);
    this.sock.write(startupReply(front.parameterStatus, this.id, crypto.randomInt(2 ** 31)));
    this.resumeClient("startup");
    this.pump();
  }

  beginTurn() {
    this.status = "I";
    this.front.prepareTurn(this);
    this.resumeClient("turn");
    this.pump();
  }

  // maybeEndTurn ends its turn once the session is idle and nothing of it is in flight.
  maybeEndTurn() {
    const f = this.front;
    if (f.owner !== this || this.held || f.openUnit || f.units.length > 0 || this.status !== "I") return;
    if (this.state === "ready" && this.reader.complete()) return; // pump goes on
    f.endTurn();
  }

  turnTimedOut(waited) {
    if (this.state !== "ready") return;
    const s = Math.round(waited / 1000);
    this.drop(
      "57014",
      `timed out after ${s} s waiting for a turn on PGlite's one Postgres session: another client's transaction held it all that time (pglite-server runs one transaction at a time)`,
    );
  }

  onMessage(type, msg, sql) {
    const front = this.front;
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
        const od = front.otherDatabases;
        let refusal = null;
        let fx = null;
        if (copyFromStdin(sql)) refusal = COPY_REFUSAL_SQL;
        else if (od.missing && changesDatabases(sql)) refusal = otherDatabasesRefusalSQL(od.why);
        else {
          fx = sessionEffects(sql);
          if (fx.refusal) refusal = refusalSQL("0A000", fx.refusal);
        }
        if (refusal) {
          if (type === "Q") msg = queryFrame(refusal);
          else msg = frame("P", Buffer.concat([cstr(readCstr(msg, 5)[0]), cstr(refusal), Buffer.from([0, 0])]));
        } else this.track(fx);
        break;
      }
    }
    const r = renameMessage(type, msg, this.id);
    if (type === "P") {
      if (r.statement === "") this.unnamedParse = r.msg;
      else if (r.statement) this.statements.add(r.statement);
    } else if (type === "C" && r.statement !== null) {
      if (r.statement === "") this.unnamedParse = null;
      else this.statements.delete(r.statement);
    } else if (type === "Q") this.unnamedParse = null;
    const ok = front.send(r.msg, this);
    if (type === "P" && r.statement === "") front.unnamedOwner = this;
    if (!ok && !this.clientPauses.has("backend")) {
      // The backend's buffer is full: read no more from the client until it drains.
      this.pauseClient("backend");
      front.backend.once("drain", () => this.safely(() => this.resumeClient("backend")));
    }
  }

  // track records what a statement does to the session (sessionEffects).
  track(fx) {
    if (!fx) return;
    const applied = this.front.applied;
    for (const s of fx.sets) {
      this.sets.set(s.name, s);
      applied.set(s.name, s);
    }
    // A RESET of a setting the session starts with otherwise (front.defaults: search_path on
    // PGlite 0.3.x) is this client's own change: the others get the default back at their turn.
    const ownReset = (name) => {
      const e = { name, sql: `RESET ${name}`, reset: `RESET ${name}` };
      this.sets.set(name, e);
      applied.set(name, e);
    };
    for (const name of fx.resets) {
      this.sets.delete(name);
      applied.delete(name);
      if (this.front.defaults.has(name)) ownReset(name);
    }
    if (fx.resetAll) {
      this.sets.clear();
      applied.clear();
      for (const name of this.front.defaults.keys()) ownReset(name);
    }
    for (const name of fx.prepares) this.prepared.add(name);
    for (const name of fx.deallocates) this.prepared.delete(name);
    for (const name of fx.tempTables) this.temps.add(name);
    if (fx.advisory) this.advisory = true;
    if (fx.setConfig) this.setConfig = true;
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
    this.leave();
  }

  // leave ends the client's part: its slot is free at once; what it left on the session is
  // undone in a turn of the front's own (at once when it was its turn).
  leave() {
    if (this.state === "closed") return;
    const was = this.state;
    this.state = "closed";
    this.gone = true;
    if (!this.sock.destroyed) this.sock.end();
    const front = this.front;
    front.queue.remove(this);
    front.resumeBackend(this);
    if (was !== "ready" || !front.release(this)) return;
    const owner = front.owner === this;
    const job = front.cleanup(this, owner);
    if (owner) {
      front.owner = job;
      job.beginTurn();
    } else if (job) {
      front.queue.push(job);
      front.schedule();
    }
  }
}
