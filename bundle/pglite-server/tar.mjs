// tar.mjs — the small tar reader the seed is unpacked with (no tar binary, so Windows works):
// USTAR regular files and directories only, relative names without "." or "..". Pure.

import { CleanError } from "./util.mjs";

// tarHeader parses one 512-byte USTAR header: { name, type, mode, size }, or null for the
// end-of-archive block. what names the archive in errors.
export function tarHeader(h, what) {
  const str = (off, len) => {
    const s = h.subarray(off, off + len);
    const z = s.indexOf(0);
    return s.toString("utf8", 0, z < 0 ? len : z);
  };
  if (h.every((b) => b === 0)) return null;
  const prefix = str(345, 155);
  const name = (prefix ? `${prefix}/` : "") + str(0, 100);
  const size = parseInt(str(124, 12).trim() || "0", 8);
  const mode = parseInt(str(100, 8).trim() || "644", 8);
  const type = h[156] === 0 ? "0" : String.fromCharCode(h[156]);
  const clean = name.replace(/\/+$/, "");
  if (!Number.isSafeInteger(size) || size < 0) throw new CleanError(`${what} is damaged: entry ${clean} has no valid size`);
  if (!clean || clean.startsWith("/") || /\\|^[A-Za-z]:/.test(clean) || clean.split("/").some((p) => p === ".." || p === ".")) {
    throw new CleanError(`${what} has an entry with an unsafe name: ${JSON.stringify(name)}`);
  }
  if (type !== "0" && type !== "5") throw new CleanError(`${what}: entry ${clean} is of tar type ${JSON.stringify(type)}, not a file or directory`);
  return { name: clean, type, mode: Number.isNaN(mode) ? 0o644 : mode & 0o777, size };
}

export const tarPadded = (size) => Math.ceil(size / 512) * 512;

// streamTarEntries yields { name, type, mode, size, data } for each entry of an uncompressed
// tar arriving as an (async) iterable of chunks (a gunzip stream): each entry comes as soon as
// its bytes are in, so the files are written while the rest is still being decompressed.
export async function* streamTarEntries(chunks, what) {
  let parts = [];
  let have = 0;
  let need = 512;
  let h = null; // the entry whose data is awaited
  for await (const chunk of chunks) {
    parts.push(chunk);
    have += chunk.length;
    if (have < need) continue;
    const buf = parts.length === 1 ? parts[0] : Buffer.concat(parts, have);
    let off = 0;
    for (;;) {
      if (!h) {
        if (buf.length - off < 512) {
          need = 512;
          break;
        }
        h = tarHeader(buf.subarray(off, off + 512), what);
        if (!h) return;
        off += 512;
      }
      if (buf.length - off < tarPadded(h.size)) {
        need = tarPadded(h.size);
        break;
      }
      yield { ...h, data: buf.subarray(off, off + h.size) };
      off += tarPadded(h.size);
      h = null;
    }
    parts = off < buf.length ? [buf.subarray(off)] : [];
    have = buf.length - off;
  }
  if (h) throw new CleanError(`${what} is damaged: entry ${h.name} runs past the end`);
}
