// wire.mjs — the Postgres wire protocol as the front reads and writes it: message builders, a
// frame reader that reassembles a message from any number of chunks in linear time, and a
// scanner of the backend's stream that counts ReadyForQuery messages without holding them.
// Pure: no sockets.

export const PROTOCOL_3_0 = 196608;
export const SSL_REQUEST = 80877103;
export const GSSENC_REQUEST = 80877104;
export const CANCEL_REQUEST = 80877102;
export const MAX_STARTUP_PACKET = 10000; // Postgres' own limit
export const MAX_MESSAGE = 256 * 1024 * 1024;
export const FRONTEND_TYPES = "BCDEFHPQSXcdfp"; // every message type a 3.0 frontend may send
export const BACKEND_TYPES = "123ACDEGHIKNRSTVWZcdnstv"; // ... and a 3.0 backend
export const MAX_BACKEND_MESSAGE = 1024 * 1024 * 1024 + 1024; // a DataRow of a 1 GiB value

export const SYNC = Buffer.from([0x53, 0, 0, 0, 4]);

export function frame(type, body) {
  const b = Buffer.alloc(5 + body.length);
  b.write(type, 0, "latin1");
  b.writeInt32BE(4 + body.length, 1);
  body.copy(b, 5);
  return b;
}

export function cstr(s) {
  return Buffer.from(`${s}\0`, "utf8");
}

export function queryFrame(sql) {
  return frame("Q", cstr(sql));
}

export function errorFrame(severity, code, message) {
  const fields = [`S${severity}`, `V${severity}`, `C${code}`, `M${message}`];
  return frame("E", Buffer.concat([...fields.map(cstr), Buffer.from([0])]));
}

// readCstr returns the NUL-terminated string at off and the offset after it ([null, length]
// when there is no NUL).
export function readCstr(buf, off) {
  const end = buf.indexOf(0, off);
  if (end < 0) return [null, buf.length];
  return [buf.toString("utf8", off, end), end + 1];
}

// ProtocolError is a frame the protocol does not allow: code is its SQLSTATE.
export class ProtocolError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

// FrameReader collects the chunks a socket delivers and hands out whole frames. A frame is
// copied at most once, when it is complete (or not at all when it sits in one chunk): a 64 MiB
// message in 64 KiB chunks costs one 64 MiB copy, not the 512 of concatenating each chunk onto
// what came before.
export class FrameReader {
  // types: the message types allowed (a frontend's by default); max: the longest length.
  constructor(types = FRONTEND_TYPES, max = MAX_MESSAGE) {
    this.types = types;
    this.max = max;
    this.chunks = [];
    this.first = 0; // index of the first chunk still held
    this.length = 0; // bytes held
  }

  push(chunk) {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  // peek returns the first n bytes (n small: a header) without consuming them, or null.
  peek(n) {
    if (this.length < n) return null;
    const c0 = this.chunks[this.first];
    if (c0.length >= n) return c0.subarray(0, n);
    const out = Buffer.allocUnsafe(n);
    for (let i = this.first, off = 0; off < n; i++) off += this.chunks[i].copy(out, off, 0, Math.min(this.chunks[i].length, n - off));
    return out;
  }

  // take consumes and returns the first n bytes (n <= length).
  take(n) {
    const c0 = this.chunks[this.first];
    let out;
    if (c0.length >= n) {
      out = c0.subarray(0, n);
      this.consume(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let off = 0;
      while (off < n) {
        const c = this.chunks[this.first];
        const k = Math.min(c.length, n - off);
        c.copy(out, off, 0, k);
        off += k;
        this.consume(k);
      }
    }
    return out;
  }

  consume(n) {
    this.length -= n;
    while (n > 0) {
      const c = this.chunks[this.first];
      if (n < c.length) {
        this.chunks[this.first] = c.subarray(n);
        return;
      }
      n -= c.length;
      this.chunks[this.first++] = undefined;
    }
    if (this.first > 64 && this.first * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.first);
      this.first = 0;
    }
  }

  // complete: does it hold a whole message? It throws ProtocolError like message().
  complete() {
    const h = this.header();
    return h !== null && this.length >= 1 + h.len;
  }

  // header returns the next message's { type, len } once its 5 header bytes are in, else null.
  // It throws ProtocolError on a type not allowed or a length out of bounds.
  header() {
    const h = this.peek(5);
    if (!h) return null;
    const type = String.fromCharCode(h[0]);
    const len = h.readInt32BE(1);
    if (!this.types.includes(type)) {
      throw new ProtocolError("08P01", `invalid ${this.types === FRONTEND_TYPES ? "frontend" : "backend"} message type ${h[0]}`);
    }
    if (len < 4 || len > this.max) throw new ProtocolError("08P01", `invalid message length ${len} (type ${type})`);
    return { type, len };
  }

  // startup returns the next startup-phase packet (length-prefixed, no type byte), or null
  // while it is incomplete. It throws ProtocolError on a length Postgres would refuse.
  startup() {
    const h = this.peek(4);
    if (!h) return null;
    const len = h.readInt32BE(0);
    if (len < 8 || len > MAX_STARTUP_PACKET) throw new ProtocolError("08P01", `invalid length of startup packet: ${len}`);
    if (this.length < len) return null;
    return this.take(len);
  }

  // message returns the next message as { type, msg } (msg the whole frame, type byte
  // included), or null while it is incomplete. It throws ProtocolError on a type a 3.0
  // frontend cannot send or a length out of bounds, as soon as the header is in.
  message() {
    const h = this.header();
    if (!h || this.length < 1 + h.len) return null;
    return { type: h.type, msg: this.take(1 + h.len) };
  }
}

// BackendScanner follows the backend's stream of messages chunk by chunk, holding nothing but
// a 5-byte header: it counts ReadyForQuery (Z) messages and keeps the last one's transaction
// status ("I" idle, "T" in a transaction, "E" in a failed one). It throws ProtocolError on a
// length no backend message has.
export class BackendScanner {
  constructor() {
    this.header = Buffer.alloc(5);
    this.have = 0; // header bytes read
    this.remaining = 0; // body bytes of the current message still to come
    this.inZ = false; // the current message is a ReadyForQuery
    this.readyCount = 0;
    this.status = null;
  }

  // scan reads one chunk and returns how many ReadyForQuery messages ended in it.
  scan(chunk) {
    let i = 0;
    const before = this.readyCount;
    while (i < chunk.length) {
      if (this.remaining > 0) {
        const k = Math.min(this.remaining, chunk.length - i);
        if (this.inZ) this.status = String.fromCharCode(chunk[i + k - 1]);
        this.remaining -= k;
        i += k;
        if (this.remaining === 0 && this.inZ) this.readyCount++;
        continue;
      }
      this.header[this.have++] = chunk[i++];
      if (this.have < 5) continue;
      this.have = 0;
      const len = this.header.readInt32BE(1);
      if (len < 4) throw new ProtocolError("08P01", `the backend sent a message of length ${len}`);
      this.inZ = this.header[0] === 0x5a;
      this.remaining = len - 4;
      if (this.remaining === 0 && this.inZ) this.readyCount++;
    }
    return this.readyCount - before;
  }
}
