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
  return parseRuleList(await runVigil(binary, ["rules", "--format", "json", "--color", "never"]));
}

/** The explanation of a rule as Markdown, from `vigil rules explain ID`. */
export async function explainMarkdown(binary: string, ruleId: string): Promise<string> {
  return explanationToMarkdown(await runVigil(binary, ["rules", "explain", ruleId, "--color", "never"]));
}

/**
 * `vigil rules explain` prints a heading line (`id: title`), an indented block of
 * fields (`  Severity    medium`), then the rule's Markdown explanation. The heading and
 * fields become Markdown; anything else is kept as it is.
 */
export function explanationToMarkdown(text: string): string {
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  const out: string[] = [];
  let index = 0;
  if (lines.length > 0 && /^\S+: .+/.test(lines[0])) {
    out.push(`# ${lines[0]}`);
    index = 1;
  }
  // Skip blank lines, then read the indented `Name  value` block.
  while (index < lines.length && lines[index].trim() === "") {
    index++;
  }
  const field = /^ {2}(\S+)\s{2,}(\S.*)$|^ {2}(\S+) (\S.*)$/;
  const fields: string[] = [];
  while (index < lines.length) {
    const match = field.exec(lines[index]);
    if (match === null) {
      break;
    }
    const name = match[1] ?? match[3];
    const value = match[2] ?? match[4];
    fields.push(`- **${name}**: ${value}`);
    index++;
  }
  if (out.length > 0 || fields.length > 0) {
    out.push("", ...fields, "");
  }
  out.push(...lines.slice(index));
  return out.join("\n").replace(/^\n+/, "");
}
