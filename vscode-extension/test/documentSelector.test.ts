import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { LANGUAGES, TOML_PATTERN, documentSelector } from "../src/documentSelector";

describe("documentSelector", () => {
  it("sends source files of every supported language, saved or untitled", () => {
    const selector = documentSelector();
    for (const language of LANGUAGES) {
      for (const scheme of ["file", "untitled"]) {
        assert.ok(
          selector.some((f) => f.language === language && f.scheme === scheme),
          `${scheme}:${language}`,
        );
      }
    }
  });

  it("sends vigil.toml and organisation rule files whatever their language id", () => {
    // By pattern, not language: VS Code has no built-in TOML language id.
    const toml = documentSelector().filter((f) => f.pattern !== undefined);
    assert.deepEqual(toml, [{ scheme: "file", pattern: TOML_PATTERN }]);
    assert.equal(TOML_PATTERN, "**/*.toml");
  });
});
