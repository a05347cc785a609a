// Maps the extension's `vigil.*` settings to the settings object the server reads
// (initializationOptions and `workspace/configuration` section "vigil").
//
// The VS Code names are chosen for the settings UI; the server's names are the
// protocol. This table is the one place that knows both, and a unit test checks that
// every server-bound setting declared in package.json appears here and vice versa.

/** A setting read from VS Code, by its key below `vigil.` (e.g. "rules.select"). */
export type ReadSetting = (key: string) => unknown;

interface Mapping {
  /** Key below `vigil.` in VS Code, as declared in package.json. */
  vscode: string;
  /** Path of the value in the server's settings object. */
  server: string[];
}

export const SERVER_SETTINGS: readonly Mapping[] = [
  { vscode: "rules.select", server: ["rules", "select"] },
  { vscode: "rules.ignore", server: ["rules", "ignore"] },
  { vscode: "rules.severity", server: ["rules", "severity"] },
  { vscode: "minConfidence", server: ["minConfidence"] },
  { vscode: "minSeverity", server: ["minSeverity"] },
  { vscode: "debounceMs", server: ["debounceMs"] },
  { vscode: "maxFileSize", server: ["maxFileSize"] },
  { vscode: "extraRuleDirs", server: ["extraRuleDirs"] },
  { vscode: "baseline", server: ["baseline"] },
  { vscode: "suppressions.honourOtherTools", server: ["suppressions", "honourOtherTools"] },
];

/** Settings used by the extension itself and never sent to the server. */
export const CLIENT_ONLY_SETTINGS: readonly string[] = [
  "server.path",
  "server.logLevel",
  "trace.server",
];

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Builds the server's settings object. Unset values (undefined) are left out so the
 * server applies its own defaults; values are passed as they are, because the server
 * validates them and reports bad ones to the user itself.
 */
export function serverSettings(read: ReadSetting): { [key: string]: Json } {
  const out: { [key: string]: Json } = {};
  for (const { vscode, server } of SERVER_SETTINGS) {
    const value = read(vscode);
    if (value === undefined) {
      continue;
    }
    setPath(out, server, value as Json);
  }
  return out;
}

function setPath(target: { [key: string]: Json }, keys: string[], value: Json): void {
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (next === undefined || next === null || typeof next !== "object" || Array.isArray(next)) {
      node[key] = {};
    }
    node = node[key] as { [key: string]: Json };
  }
  node[keys[keys.length - 1]] = value;
}

/**
 * Answers one item of a `workspace/configuration` request. The server asks for the
 * section "vigil" (the whole settings object); a request for a sub-section such as
 * "vigil.rules" gets that part of it, and anything else gets null as the protocol says.
 */
export function configurationItem(section: string | undefined, read: ReadSetting): Json {
  const settings = serverSettings(read);
  if (section === undefined || section === "") {
    return { vigil: settings };
  }
  const parts = section.split(".");
  if (parts[0] !== "vigil") {
    return null;
  }
  let node: Json = settings;
  for (const part of parts.slice(1)) {
    if (node === null || typeof node !== "object" || Array.isArray(node) || !(part in node)) {
      return null;
    }
    node = node[part];
  }
  return node;
}

/** Command-line arguments for `vigil serve`. */
export function serverArgs(logLevel: unknown): string[] {
  const args = ["serve"];
  if (typeof logLevel === "string" && logLevel !== "") {
    args.push("--log-level", logLevel);
  }
  return args;
}
