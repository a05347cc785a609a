import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { parseRuleList, ruleIdOfDiagnostic } from "../src/rules";

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
