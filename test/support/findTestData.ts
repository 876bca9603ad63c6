import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { testDataDir } from "./testDataDir.js";
import { testDataMissing } from "./testDataMissing.js";

/**
 * The absolute path of `relative` inside the test data folder (testDataDir), or undefined when it
 * is not there: the test then skips with testDataMissing(). With CI=true a missing file is an
 * error, not a skip, so CI cannot pass without the data.
 */
export function findTestData(relative: string): string | undefined {
  const path = resolve(join(testDataDir(), relative));
  if (existsSync(path)) return path;
  if (process.env["CI"] === "true") throw new Error(`${testDataMissing(relative)} (CI=true: no skip)`);
  return undefined;
}
