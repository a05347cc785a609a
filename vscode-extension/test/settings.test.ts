import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";

import {
  CLIENT_ONLY_SETTINGS,
  SERVER_SETTINGS,
  configurationItem,
  serverArgs,
  serverSettings,
} from "../src/settings";

function reader(values: Record<string, unknown>) {
  return (key: string): unknown => values[key];
}

// The tests run from out/test/, compiled; package.json is two levels up.
const manifest = JSON.parse(readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8")) as {
  contributes: { configuration: { properties: Record<string, { scope?: string }> } };
};
const declared = Object.keys(manifest.contributes.configuration.properties).map((key) =>
  key.replace(/^vigil\./, ""),
);

describe("settings declared in package.json", () => {
  it("are each either sent to the server or used by the client, never both", () => {
    const mapped = SERVER_SETTINGS.map((m) => m.vscode);
    assert.deepEqual([...declared].sort(), [...mapped, ...CLIENT_ONLY_SETTINGS].sort());
    for (const key of mapped) {
      assert.ok(!CLIENT_ONLY_SETTINGS.includes(key), key);
    }
  });

  it("keep the server path machine-scoped so a workspace cannot choose the binary", () => {
    assert.equal(manifest.contributes.configuration.properties["vigil.server.path"].scope, "machine");
  });
});

describe("serverSettings", () => {
  it("sends nothing when nothing is set, so the server keeps its defaults", () => {
    assert.deepEqual(serverSettings(reader({})), {});
  });

  it("maps VS Code keys to the server's shape", () => {
    const settings = serverSettings(
      reader({
        "rules.select": ["js/", "CWE-89"],
        "rules.ignore": ["js/weak-hash"],
        "rules.severity": { "go/weak-hash-md5": "high" },
        minConfidence: "high",
        debounceMs: 0,
        maxFileSize: 1000,
        baseline: ".vigil-baseline.json",
        "suppressions.honourOtherTools": false,
        "server.path": "/opt/vigil",
      }),
    );
    assert.deepEqual(settings, {
      rules: {
        select: ["js/", "CWE-89"],
        ignore: ["js/weak-hash"],
        severity: { "go/weak-hash-md5": "high" },
      },
      minConfidence: "high",
      debounceMs: 0,
      maxFileSize: 1000,
      baseline: ".vigil-baseline.json",
      suppressions: { honourOtherTools: false },
    });
  });

  it("sends an empty baseline path, which the server reads as no baseline", () => {
    assert.deepEqual(serverSettings(reader({ baseline: "" })), { baseline: "" });
  });

  it("passes invalid values through for the server to report", () => {
    assert.deepEqual(serverSettings(reader({ minConfidence: "extreme" })), { minConfidence: "extreme" });
  });
});

describe("configurationItem", () => {
  const read = reader({ "rules.ignore": ["go/"], debounceMs: 10 });

  it("answers the section vigil with the whole settings object", () => {
    assert.deepEqual(configurationItem("vigil", read), { rules: { ignore: ["go/"] }, debounceMs: 10 });
  });

  it("answers a sub-section", () => {
    assert.deepEqual(configurationItem("vigil.rules", read), { ignore: ["go/"] });
    assert.deepEqual(configurationItem("vigil.debounceMs", read), 10);
  });

  it("answers null for other or unknown sections", () => {
    assert.equal(configurationItem("editor", read), null);
    assert.equal(configurationItem("vigil.nothing", read), null);
  });

  it("answers a request without a section with all settings under vigil", () => {
    assert.deepEqual(configurationItem(undefined, read), { vigil: { rules: { ignore: ["go/"] }, debounceMs: 10 } });
  });
});

describe("serverArgs", () => {
  it("runs serve, with a log level when one is set", () => {
    assert.deepEqual(serverArgs(undefined), ["serve"]);
    assert.deepEqual(serverArgs("debug"), ["serve", "--log-level", "debug"]);
  });
});
