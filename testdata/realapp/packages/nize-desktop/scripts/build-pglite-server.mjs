// The app's old bundle script (replaced by `nizepack bundle-pglite`): esbuild the server entry
// into the Tauri resources and copy vector.tar.gz beside it. Kept in the fixture for its shape;
// the fixture does not install esbuild, so it is never run.
import { build } from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";

const out = "../../crates/app/nize_desktop/resources/pglite";
mkdirSync(out, { recursive: true });
await build({
  entryPoints: ["scripts/pglite-server.mjs"],
  bundle: true,
  platform: "node",
  format: "esm",
  outfile: `${out}/pglite-server.mjs`,
});
copyFileSync("../../node_modules/@electric-sql/pglite/dist/vector.tar.gz", `${out}/vector.tar.gz`);
