import os from "node:os";
import { join } from "node:path";

/**
 * Where the tests look for the test data (README, "Test data"): $NT_TEST_DATA, else where
 * scripts/fetchTestData.sh puts it by default, $XDG_CACHE_HOME/ntransformer/testdata or
 * ~/.cache/ntransformer/testdata. cuda-engine/test/test_data.h looks in the same place.
 */
export function testDataDir(): string {
  const dir = process.env["NT_TEST_DATA"];
  if (dir) return dir;
  const cache = process.env["XDG_CACHE_HOME"] || join(os.homedir(), ".cache");
  return join(cache, "ntransformer", "testdata");
}
