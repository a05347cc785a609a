// Reads the rule catalogue from the `vigil` binary (`vigil rules`), without VS Code.

import { execFile } from "node:child_process";

export interface RuleSummary {
  id: string;
  title: string;
}

/** Parses the JSON output of `vigil rules --format json`. */
export function parseRuleList(stdout: string): RuleSummary[] {
  const parsed: unknown = JSON.parse(stdout);
  const list = Array.isArray(parsed)
    ? parsed
    : typeof parsed === "object" && parsed !== null && Array.isArray((parsed as { rules?: unknown }).rules)
      ? (parsed as { rules: unknown[] }).rules
      : undefined;
  if (list === undefined) {
    throw new Error("`vigil rules --format json` did not print a list of rules");
  }
  return list.flatMap((entry): RuleSummary[] => {
    if (typeof entry !== "object" || entry === null) {
      return [];
    }
    const { id, title } = entry as { id?: unknown; title?: unknown };
    return typeof id === "string" ? [{ id, title: typeof title === "string" ? title : "" }] : [];
  });
}

/** The rule id of a diagnostic's `code` when the diagnostic is Vigil's. */
export function ruleIdOfDiagnostic(
  source: string | undefined,
  code: string | number | { value: string | number } | undefined,
): string | undefined {
  if (source !== "vigil" || code === undefined) {
    return undefined;
  }
  const value = typeof code === "object" ? code.value : code;
  return typeof value === "string" && value !== "" ? value : undefined;
}

export function runVigil(binary: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(binary, args, { timeout: 10_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error !== null) {
        const detail = stderr.trim() !== "" ? stderr.trim() : error.message;
        reject(new Error(`\`vigil ${args.join(" ")}\` failed: ${detail}`));
        return;
      }
      resolve(stdout);
    });
  });
}

export async function listRules(binary: string): Promise<RuleSummary[]> {
  return parseRuleList(await runVigil(binary, ["rules", "--format", "json"]));
}

export async function explainText(binary: string, ruleId: string): Promise<string> {
  return runVigil(binary, ["rules", "explain", ruleId]);
}
