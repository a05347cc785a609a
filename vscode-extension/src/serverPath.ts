// Finds the `vigil` executable to run as the language server.
//
// Order: the machine-scoped setting `vigil.server.path`, then the binary bundled in the
// extension (only when it was built for this platform), then `vigil` on PATH. The file
// system is passed in so the logic is tested without VS Code and without real binaries.

import * as path from "node:path";

export interface FileSystem {
  /** True when `file` exists, is a regular file and may be executed. */
  isExecutableFile(file: string): boolean;
  /** The contents of a small text file, or undefined when it cannot be read. */
  readText(file: string): string | undefined;
}

export interface DiscoveryInput {
  /** The value of `vigil.server.path` (empty or undefined: not set). */
  configuredPath: string | undefined;
  /** The extension's install directory. */
  extensionPath: string;
  /** process.env.PATH (or Path on Windows). */
  envPath: string | undefined;
  /** process.platform and process.arch, e.g. "linux" and "x64". */
  platform: string;
  arch: string;
  /** The user's home directory, to expand a leading `~` in the setting. */
  homeDir: string;
}

export type ServerSource = "setting" | "bundled" | "path";

export type Discovery =
  | { ok: true; path: string; source: ServerSource }
  | { ok: false; message: string };

const BUNDLED_DIR = "server";

export function executableName(platform: string): string {
  return platform === "win32" ? "vigil.exe" : "vigil";
}

/** The platform tag the packaging script writes next to the bundled binary. */
export function platformTag(platform: string, arch: string): string {
  return `${platform}-${arch}`;
}

export const INSTALL_HELP =
  "Install the Vigil server and make sure `vigil` is on your PATH " +
  "(from a checkout: `cargo install --path server`), " +
  "or set `vigil.server.path` in your user settings to the full path of the `vigil` binary.";

export function findServer(input: DiscoveryInput, fs: FileSystem): Discovery {
  const configured = (input.configuredPath ?? "").trim();
  if (configured !== "") {
    // An explicit setting is never silently replaced by another binary: if it is wrong,
    // the user must hear about it.
    const resolved = expandHome(configured, input.homeDir);
    if (!path.isAbsolute(resolved)) {
      return {
        ok: false,
        message: `vigil.server.path must be an absolute path, got "${configured}".`,
      };
    }
    if (!fs.isExecutableFile(resolved)) {
      return {
        ok: false,
        message: `vigil.server.path is "${configured}", but that is not an executable file. ${INSTALL_HELP}`,
      };
    }
    return { ok: true, path: resolved, source: "setting" };
  }

  const bundled = bundledServer(input, fs);
  if (bundled !== undefined) {
    return { ok: true, path: bundled, source: "bundled" };
  }

  const onPath = searchPath(executableName(input.platform), input.envPath, input.platform, fs);
  if (onPath !== undefined) {
    return { ok: true, path: onPath, source: "path" };
  }

  return { ok: false, message: `Could not find the Vigil language server. ${INSTALL_HELP}` };
}

function bundledServer(input: DiscoveryInput, fs: FileSystem): string | undefined {
  const dir = path.join(input.extensionPath, BUNDLED_DIR);
  const binary = path.join(dir, executableName(input.platform));
  if (!fs.isExecutableFile(binary)) {
    return undefined;
  }
  // A vsix built for Linux x64 must not try to run its binary on macOS: the packaging
  // script records the target, and a missing or different tag means "not for us".
  const tag = fs.readText(path.join(dir, "platform"))?.trim();
  if (tag !== platformTag(input.platform, input.arch)) {
    return undefined;
  }
  return binary;
}

function searchPath(
  name: string,
  envPath: string | undefined,
  platform: string,
  fs: FileSystem,
): string | undefined {
  if (envPath === undefined || envPath === "") {
    return undefined;
  }
  const separator = platform === "win32" ? ";" : ":";
  for (const dir of envPath.split(separator)) {
    // An empty entry means the current directory, which a language client must never
    // search: the workspace would choose the binary.
    if (dir === "" || !path.isAbsolute(dir)) {
      continue;
    }
    const candidate = path.join(dir, name);
    if (fs.isExecutableFile(candidate)) {
      return candidate;
    }
  }
  return undefined;
}

function expandHome(p: string, homeDir: string): string {
  if (p === "~") {
    return homeDir;
  }
  if (p.startsWith("~/")) {
    return path.join(homeDir, p.slice(2));
  }
  return p;
}
