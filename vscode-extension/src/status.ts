// The status bar item: shows whether the server runs, and opens the output on click.

import * as vscode from "vscode";

export type ServerState = "starting" | "running" | "stopped" | "error";

const ICONS: Record<ServerState, string> = {
  starting: "$(loading~spin)",
  running: "$(shield)",
  stopped: "$(circle-slash)",
  error: "$(error)",
};

export class StatusItem implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;

  constructor() {
    this.item = vscode.window.createStatusBarItem("vigil.status", vscode.StatusBarAlignment.Right, 100);
    this.item.name = "Vigil";
    this.item.command = "vigil.showOutput";
    this.set("starting", "Vigil server starting");
    this.item.show();
  }

  set(state: ServerState, tooltip: string): void {
    this.item.text = `${ICONS[state]} Vigil`;
    this.item.tooltip = tooltip;
    this.item.backgroundColor =
      state === "error" ? new vscode.ThemeColor("statusBarItem.errorBackground") : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}
