// The "Explain Rule" command: the rule under the cursor, or one picked from the list,
// explained in a Markdown preview of a read-only `vigil-rule:` document (no untitled
// buffer left behind asking to be saved).

import * as vscode from "vscode";

import { explainMarkdown, listRules, ruleIdOfDiagnostic } from "./rules";

export const RULE_SCHEME = "vigil-rule";

/** Serves `vigil-rule:<rule id>.md` from `vigil rules explain`. */
export class RuleDocuments implements vscode.TextDocumentContentProvider {
  constructor(private readonly serverPath: () => string | undefined) {}

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const binary = this.serverPath();
    if (binary === undefined) {
      return "The Vigil server was not found, so rules cannot be explained.";
    }
    return explainMarkdown(binary, uri.path.replace(/\.md$/, ""));
  }
}

export async function explainRule(serverPath: string | undefined, output: vscode.OutputChannel): Promise<void> {
  if (serverPath === undefined) {
    void vscode.window.showErrorMessage("Vigil: the server was not found, so rules cannot be explained.");
    return;
  }
  try {
    const ruleId = ruleAtCursor() ?? (await pickRule(serverPath));
    if (ruleId === undefined) {
      return;
    }
    const uri = vscode.Uri.from({ scheme: RULE_SCHEME, path: `${ruleId}.md` });
    await vscode.commands.executeCommand("markdown.showPreview", uri);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    output.appendLine(message);
    void vscode.window.showErrorMessage(`Vigil: ${message}`);
  }
}

function ruleAtCursor(): string | undefined {
  const editor = vscode.window.activeTextEditor;
  if (editor === undefined) {
    return undefined;
  }
  const cursor = editor.selection.active;
  for (const diagnostic of vscode.languages.getDiagnostics(editor.document.uri)) {
    if (diagnostic.range.contains(cursor)) {
      const id = ruleIdOfDiagnostic(diagnostic.source, diagnostic.code);
      if (id !== undefined) {
        return id;
      }
    }
  }
  return undefined;
}

async function pickRule(serverPath: string): Promise<string | undefined> {
  const rules = await listRules(serverPath);
  const picked = await vscode.window.showQuickPick(
    rules.map((rule) => ({ label: rule.id, description: rule.title })),
    { placeHolder: "Rule to explain", matchOnDescription: true },
  );
  return picked?.label;
}
