import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { explanationToMarkdown, parseRuleList, ruleIdOfDiagnostic } from "../src/rules";

describe("parseRuleList", () => {
  it("reads a list of rules", () => {
    const rules = parseRuleList('[{"id":"js/weak-hash","title":"Weak hash","cwe":[328]},{"id":"go/x"}]');
    assert.deepEqual(rules, [
      { id: "js/weak-hash", title: "Weak hash" },
      { id: "go/x", title: "" },
    ]);
  });

  it("reads an object with a rules list", () => {
    assert.deepEqual(parseRuleList('{"rules":[{"id":"a","title":"A"}]}'), [{ id: "a", title: "A" }]);
  });

  it("rejects output that is not a rule list", () => {
    assert.throws(() => parseRuleList('{"id":"a"}'), /did not print a list of rules/);
    assert.throws(() => parseRuleList("not json"));
  });
});

describe("ruleIdOfDiagnostic", () => {
  it("takes the code of a vigil diagnostic, plain or with a link", () => {
    assert.equal(ruleIdOfDiagnostic("vigil", "js/weak-hash"), "js/weak-hash");
    assert.equal(ruleIdOfDiagnostic("vigil", { value: "go/weak-hash-md5" }), "go/weak-hash-md5");
  });

  it("ignores other sources and missing codes", () => {
    assert.equal(ruleIdOfDiagnostic("ts", "js/weak-hash"), undefined);
    assert.equal(ruleIdOfDiagnostic("vigil", undefined), undefined);
    assert.equal(ruleIdOfDiagnostic("vigil", 2304), undefined);
  });
});

describe("explanationToMarkdown", () => {
  // The shape `vigil rules explain js/weak-hash --color never` prints.
  const cli = [
    "js/weak-hash: Weak hash algorithm (MD5, SHA-1)",
    "",
    "  Language    javascript",
    "  Severity    medium",
    "  CWE         CWE-328, CWE-327",
    "  Fixes       Use SHA-256 (changes behaviour)",
    "",
    "## What it finds",
    "Calls to `crypto.createHash` with `md5`.",
    "",
    "## References",
    "- https://cwe.mitre.org/data/definitions/328.html",
    "",
  ].join("\n");

  it("turns the heading and the field block into Markdown and keeps the explanation", () => {
    assert.equal(
      explanationToMarkdown(cli),
      [
        "# js/weak-hash: Weak hash algorithm (MD5, SHA-1)",
        "",
        "- **Language**: javascript",
        "- **Severity**: medium",
        "- **CWE**: CWE-328, CWE-327",
        "- **Fixes**: Use SHA-256 (changes behaviour)",
        "",
        "",
        "## What it finds",
        "Calls to `crypto.createHash` with `md5`.",
        "",
        "## References",
        "- https://cwe.mitre.org/data/definitions/328.html",
        "",
      ].join("\n"),
    );
  });

  it("keeps text of another shape as it is", () => {
    assert.equal(explanationToMarkdown("## Why\nBecause.\n"), "## Why\nBecause.\n");
  });
});
