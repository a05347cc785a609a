// The Vigil extension: starts `vigil serve` and wires editor commands to it.

import * as os from "node:os";
import * as vscode from "vscode";
import {
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
  State,
  TransportKind,
} from "vscode-languageclient/node";

import { documentSelector } from "./documentSelector";
import { RULE_SCHEME, RuleDocuments, explainRule } from "./explain";
import { nodeFileSystem } from "./nodeFileSystem";
import { findServer } from "./serverPath";
import { configurationItem, serverArgs } from "./settings";
import { StatusItem } from "./status";

export { LANGUAGES } from "./documentSelector";
const FIX_ALL_KIND = vscode.CodeActionKind.SourceFixAll.append("vigil");

let client: LanguageClient | undefined;
let serverPath: string | undefined;
let output: vscode.LogOutputChannel;
let status: StatusItem;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("Vigil", { log: true });
  status = new StatusItem();
  context.subscriptions.push(
    output,
    status,
    vscode.commands.registerCommand("vigil.restartServer", () => restart(context)),
    vscode.commands.registerCommand("vigil.showOutput", () => output.show(true)),
    vscode.commands.registerCommand("vigil.fixAll", fixAllInActiveEditor),
    vscode.commands.registerCommand("vigil.explainRule", () =>
      explainRule(serverPath, output),
    ),
    vscode.workspace.registerTextDocumentContentProvider(
      RULE_SCHEME,
      new RuleDocuments(() => serverPath),
    ),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      // A new binary or log level needs a new process. Other settings reach the running
      // server without a restart: it registers for didChangeConfiguration, the language
      // client forwards each change, and the server pulls section "vigil" again, which
      // the configuration middleware below answers.
      if (
        event.affectsConfiguration("vigil.server.path") ||
        event.affectsConfiguration("vigil.server.logLevel")
      ) {
        await restart(context);
      }
    }),
  );
  await start(context);
}

export async function deactivate(): Promise<void> {
  await stop();
}

function readSetting(key: string): unknown {
  const config = vscode.workspace.getConfiguration("vigil");
  const inspected = config.inspect(key);
  // Only values the user set are sent: the server owns the defaults.
  return (
    inspected?.workspaceFolderValue ??
    inspected?.workspaceValue ??
    inspected?.globalValue ??
    undefined
  );
}

async function start(context: vscode.ExtensionContext): Promise<void> {
  const config = vscode.workspace.getConfiguration("vigil");
  const found = findServer(
    {
      // The setting is machine-scoped; read the user value only so that a workspace
      // settings file can never choose the program we run.
      configuredPath: config.inspect<string>("server.path")?.globalValue,
      extensionPath: context.extensionPath,
      envPath: process.env.PATH,
      platform: process.platform,
      arch: process.arch,
      homeDir: os.homedir(),
    },
    nodeFileSystem,
  );
  if (!found.ok) {
    serverPath = undefined;
    status.set("error", found.message);
    output.appendLine(found.message);
    const choice = await vscode.window.showErrorMessage(found.message, "Open Settings");
    if (choice === "Open Settings") {
      await vscode.commands.executeCommand("workbench.action.openSettings", "vigil.server.path");
    }
    return;
  }
  serverPath = found.path;
  output.appendLine(`Starting ${found.path} (found via ${found.source})`);

  const run = {
    command: found.path,
    args: serverArgs(config.get("server.logLevel")),
    transport: TransportKind.stdio,
  };
  const serverOptions: ServerOptions = { run, debug: run };
  const clientOptions: LanguageClientOptions = {
    documentSelector: documentSelector(),
    outputChannel: output,
    // No initializationOptions: the server overlays workspace settings on them key by
    // key, so a setting the user later removes would stay in force from there. VS Code
    // answers workspace/configuration, which the server asks right after initializing.
    middleware: {
      workspace: {
        // The server asks for section "vigil"; answer in the server's shape, not the
        // raw VS Code one (which also holds client-only keys like server.path).
        configuration: (params) => params.items.map((item) => configurationItem(item.section, readSetting)),
      },
    },
  };

  client = new LanguageClient("vigil", "Vigil", serverOptions, clientOptions);
  client.onDidChangeState((event) => {
    if (event.newState === State.Running) {
      status.set("running", `Vigil server running (${found.path})`);
    } else if (event.newState === State.Starting) {
      status.set("starting", "Vigil server starting");
    } else {
      status.set("stopped", "Vigil server stopped");
    }
  });
  status.set("starting", "Vigil server starting");
  try {
    await client.start();
  } catch (error) {
    const message = `Vigil server failed to start: ${String(error)}`;
    output.appendLine(message);
    status.set("error", message);
    void vscode.window.showErrorMessage(message, "Show Output").then((choice) => {
      if (choice === "Show Output") {
        output.show(true);
      }
    });
  }
}

async function stop(): Promise<void> {
  const running = client;
  client = undefined;
  if (running !== undefined) {
    try {
      await running.stop();
    } catch (error) {
      output.appendLine(`Stopping the server failed: ${String(error)}`);
    }
  }
}

async function restart(context: vscode.ExtensionContext): Promise<void> {
  await stop();
  await start(context);
}

async function fixAllInActiveEditor(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (editor === undefined) {
    void vscode.window.showInformationMessage("Vigil: open a file to fix.");
    return;
  }
  const document = editor.document;
  const whole = new vscode.Range(document.positionAt(0), document.positionAt(document.getText().length));
  const actions =
    (await vscode.commands.executeCommand<vscode.CodeAction[]>(
      "vscode.executeCodeActionProvider",
      document.uri,
      whole,
      FIX_ALL_KIND.value,
    )) ?? [];
  const fixAll = actions.find((action) => action.kind !== undefined && FIX_ALL_KIND.contains(action.kind));
  if (fixAll === undefined || (fixAll.edit === undefined && fixAll.command === undefined)) {
    void vscode.window.showInformationMessage("Vigil: no safe fixes in this file.");
    return;
  }
  if (fixAll.edit !== undefined) {
    await vscode.workspace.applyEdit(fixAll.edit);
  }
  if (fixAll.command !== undefined) {
    const args: unknown[] = fixAll.command.arguments ?? [];
    await vscode.commands.executeCommand(fixAll.command.command, ...args);
  }
}
