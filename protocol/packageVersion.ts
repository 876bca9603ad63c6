import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

let cached: string | undefined;

/**
 * The version of the ntransformer package, from its package.json. It lives in protocol/ because
 * every process puts it on the wire (hello frames, `version`). The file is found by walking up
 * from this module, so it works from dist/ and from an installed package alike.
 */
export function packageVersion(): string {
  cached ??= readOwnPackageJson().version;
  return cached;
}

function readOwnPackageJson(): { version: string } {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = tryRead(path.join(dir, "package.json"));
    if (pkg?.name === "ntransformer" && typeof pkg.version === "string") return { version: pkg.version };
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no ntransformer package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

function tryRead(file: string): { name?: unknown; version?: unknown } | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as { name?: unknown; version?: unknown };
  } catch {
    return undefined;
  }
}
