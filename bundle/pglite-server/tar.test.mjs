import assert from "node:assert/strict";
import { test } from "node:test";
import { streamTarEntries, tarHeader } from "./tar.mjs";
import { CleanError } from "./util.mjs";

// header makes a USTAR header block.
function header(name, size, type = "0", mode = 0o644) {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, "utf8");
  h.write(`${mode.toString(8).padStart(7, "0")}\0`, 100);
  h.write(`${size.toString(8).padStart(11, "0")}\0`, 124);
  h.write(type, 156);
  h.write("ustar\0", 257);
  return h;
}
const pad = (b) => Buffer.concat([b, Buffer.alloc((512 - (b.length % 512)) % 512)]);
function tar(entries) {
  const parts = [];
  for (const [name, data, type] of entries) {
    parts.push(header(name, data.length, type));
    parts.push(pad(data));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}
async function* chunked(buf, size) {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}
async function read(buf, size) {
  const out = [];
  for await (const e of streamTarEntries(chunked(buf, size), "the seed")) out.push({ name: e.name, type: e.type, mode: e.mode, data: e.data.toString() });
  return out;
}

test("entries come whole whatever the chunking", async () => {
  const big = "z".repeat(3000);
  const t = tar([["base/", Buffer.alloc(0), "5"], ["base/1/a", Buffer.from("hello")], ["PG_VERSION", Buffer.from(big)]]);
  for (const size of [1, 100, 512, 513, 4096, t.length]) {
    const got = await read(t, size);
    assert.deepEqual(
      got.map((e) => [e.name, e.type, e.data.length]),
      [["base", "5", 0], ["base/1/a", "0", 5], ["PG_VERSION", "0", 3000]],
      `chunks of ${size}`,
    );
    assert.equal(got[2].data, big);
  }
});

test("unsafe names and other entry types are refused", () => {
  for (const name of ["../evil", "/abs", "a/../../b", "./x", "C:/x", "a\\b"]) {
    assert.throws(() => tarHeader(header(name, 0), "the seed"), (err) => err instanceof CleanError && /unsafe name/.test(err.message), name);
  }
  assert.throws(() => tarHeader(header("link", 0, "2"), "the seed"), /tar type "2", not a file or directory/);
  assert.equal(tarHeader(Buffer.alloc(512), "the seed"), null);
});

test("a truncated archive is damaged", async () => {
  const t = tar([["f", Buffer.from("x".repeat(2000))]]);
  await assert.rejects(read(t.subarray(0, 1024), 300), /the seed is damaged: entry f runs past the end/);
});
