import { join } from "node:path";
import { testDataDir } from "./testDataDir.js";

/**
 * The one message a test skips with when its data is missing (findTestData returned undefined),
 * naming the script that fetches it; the same text as the C++ tests' (test_data.h).
 */
export function testDataMissing(relative = ""): string {
  return `test data not found (${join(testDataDir(), relative)}): run scripts/fetchTestData.sh, or set NT_TEST_DATA to where it is`;
}
