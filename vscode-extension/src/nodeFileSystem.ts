// The real file system behind serverPath.ts's FileSystem interface.

import * as fs from "node:fs";

import type { FileSystem } from "./serverPath";

export const nodeFileSystem: FileSystem = {
  isExecutableFile(file: string): boolean {
    try {
      if (!fs.statSync(file).isFile()) {
        return false;
      }
      fs.accessSync(file, fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  },
  readText(file: string): string | undefined {
    try {
      return fs.readFileSync(file, "utf8");
    } catch {
      return undefined;
    }
  },
};
