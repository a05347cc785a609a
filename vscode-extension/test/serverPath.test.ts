import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { type DiscoveryInput, type FileSystem, findServer } from "../src/serverPath";

/** A file system holding exactly the given executables and text files. */
function fakeFs(executables: string[], texts: Record<string, string> = {}): FileSystem {
  return {
    isExecutableFile: (file) => executables.includes(file),
    readText: (file) => texts[file],
  };
}

const base: DiscoveryInput = {
  configuredPath: undefined,
  extensionPath: "/ext",
  envPath: "/usr/local/bin:/usr/bin",
  platform: "linux",
  arch: "x64",
  homeDir: "/home/u",
};

const bundledLinux = { "/ext/server/platform": "linux-x64\n" };

describe("findServer", () => {
  it("uses the configured path first, even when a bundled and a PATH binary exist", () => {
    const fs = fakeFs(["/opt/vigil", "/ext/server/vigil", "/usr/bin/vigil"], bundledLinux);
    assert.deepEqual(findServer({ ...base, configuredPath: "/opt/vigil" }, fs), {
      ok: true,
      path: "/opt/vigil",
      source: "setting",
    });
  });

  it("expands ~ in the configured path", () => {
    const fs = fakeFs(["/home/u/bin/vigil"]);
    const found = findServer({ ...base, configuredPath: "~/bin/vigil" }, fs);
    assert.deepEqual(found, { ok: true, path: "/home/u/bin/vigil", source: "setting" });
  });

  it("reports a configured path that is not executable instead of falling back", () => {
    const fs = fakeFs(["/ext/server/vigil", "/usr/bin/vigil"], bundledLinux);
    const found = findServer({ ...base, configuredPath: "/nope/vigil" }, fs);
    assert.equal(found.ok, false);
    assert.match(!found.ok ? found.message : "", /vigil\.server\.path is "\/nope\/vigil"/);
  });

  it("rejects a relative configured path", () => {
    const found = findServer({ ...base, configuredPath: "bin/vigil" }, fakeFs(["bin/vigil"]));
    assert.equal(found.ok, false);
    assert.match(!found.ok ? found.message : "", /absolute path/);
  });

  it("treats a blank setting as unset", () => {
    const fs = fakeFs(["/usr/bin/vigil"]);
    assert.deepEqual(findServer({ ...base, configuredPath: "   " }, fs), {
      ok: true,
      path: "/usr/bin/vigil",
      source: "path",
    });
  });

  it("prefers the bundled binary over PATH when it was built for this platform", () => {
    const fs = fakeFs(["/ext/server/vigil", "/usr/bin/vigil"], bundledLinux);
    assert.deepEqual(findServer(base, fs), { ok: true, path: "/ext/server/vigil", source: "bundled" });
  });

  it("skips a bundled binary built for another platform", () => {
    const fs = fakeFs(["/ext/server/vigil", "/usr/bin/vigil"], bundledLinux);
    const found = findServer({ ...base, platform: "darwin", arch: "arm64" }, fs);
    assert.deepEqual(found, { ok: true, path: "/usr/bin/vigil", source: "path" });
  });

  it("skips a bundled binary without a platform tag", () => {
    const fs = fakeFs(["/ext/server/vigil", "/usr/bin/vigil"]);
    assert.deepEqual(findServer(base, fs), { ok: true, path: "/usr/bin/vigil", source: "path" });
  });

  it("searches PATH in order and ignores relative entries", () => {
    const fs = fakeFs(["./vigil", "/usr/local/bin/vigil", "/usr/bin/vigil"]);
    const found = findServer({ ...base, envPath: ".::/usr/local/bin:/usr/bin" }, fs);
    assert.deepEqual(found, { ok: true, path: "/usr/local/bin/vigil", source: "path" });
  });

  it("says how to install the server when nothing is found", () => {
    const found = findServer(base, fakeFs([]));
    assert.equal(found.ok, false);
    const message = !found.ok ? found.message : "";
    assert.match(message, /Could not find the Vigil language server/);
    assert.match(message, /cargo install --path server/);
    assert.match(message, /vigil\.server\.path/);
  });

  it("copes with an unset PATH", () => {
    const found = findServer({ ...base, envPath: undefined }, fakeFs(["/usr/bin/vigil"]));
    assert.equal(found.ok, false);
  });
});
