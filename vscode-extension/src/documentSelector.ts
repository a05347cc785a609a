// Which documents VS Code sends to the server.
//
// Source files by language. TOML files by path pattern rather than language: VS Code
// has no built-in TOML language (without an extension they are "plaintext"), and the
// server needs them to report the problems of an open vigil.toml or organisation rule
// file. Which TOML files matter (vigil.toml, files below a rule directory named by a
// vigil.toml the extension never reads) only the server knows; it ignores the others.

export const LANGUAGES = ["javascript", "javascriptreact", "typescript", "typescriptreact", "go"];

export const TOML_PATTERN = "**/*.toml";

export interface Filter {
  scheme: string;
  language?: string;
  pattern?: string;
}

export function documentSelector(): Filter[] {
  return [
    ...LANGUAGES.flatMap((language) => [
      { scheme: "file", language },
      { scheme: "untitled", language },
    ]),
    { scheme: "file", pattern: TOML_PATTERN },
  ];
}
