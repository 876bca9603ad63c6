import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

/**
 * The absolute path of `relative` inside $NT_TEST_DATA, or undefined when the data set is not
 * there (the test then skips). With CI=true a missing file is an error, not a skip (DESIGN §7).
 */
export function findTestData(relative: string): string | undefined {
  const root = process.env["NT_TEST_DATA"];
  const path = root === undefined ? undefined : resolve(join(root, relative));
  if (path !== undefined && existsSync(path)) return path;
  if (process.env["CI"] === "true") {
    throw new Error(`test data ${relative} not found (NT_TEST_DATA=${root ?? "unset"}); CI needs it`);
  }
  return undefined;
}
