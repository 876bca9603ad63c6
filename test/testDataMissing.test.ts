import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** A suite with tests on the real data (and others without): the GGUF writer's round trips. */
const SUITE = path.join(dist, "test/ggufWriter.test.js");

/** Runs SUITE in a node test runner of its own with `env` added; its exit status and output. */
function runSuite(env: Record<string, string>): Promise<{ status: number | null; output: string }> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete childEnv["NODE_TEST_CONTEXT"];  // else the child reports to this runner instead of printing
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--test", "--test-reporter=tap", SUITE], { env: childEnv });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr.on("data", (chunk: Buffer) => { output += chunk.toString(); });
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, output }));
  });
}

/**
 * What a test that needs the real data does without it (test/support/findTestData.ts): it skips
 * with the one message that names scripts/fetchTestData.sh, and under CI=true it fails instead.
 * cuda-engine/CMakeLists.txt checks the C++ tests' REQUIRE_TEST_DATA() the same way (TestData.*).
 */
describe("tests whose data is missing", () => {
  let empty: string;

  before(async () => { empty = await mkdtemp(path.join(os.tmpdir(), "nt-no-test-data-")); });
  after(() => rm(empty, { recursive: true, force: true }));

  it("skip, each with the one message naming scripts/fetchTestData.sh", async () => {
    const { status, output } = await runSuite({ NT_TEST_DATA: empty, CI: "" });
    assert.equal(status, 0, output);
    const skips = output.split("\n").filter((line) => / # SKIP/.test(line));
    assert.ok(skips.length >= 3, output);
    for (const skip of skips) {
      assert.match(skip, new RegExp(` # SKIP test data not found \\(${empty}\\S*\\): run scripts/fetchTestData\\.sh, or set NT_TEST_DATA to where it is$`));
    }
  });

  it("fail under CI=true, with the same message", async () => {
    const { status, output } = await runSuite({ NT_TEST_DATA: empty, CI: "true" });
    assert.notEqual(status, 0, output);
    assert.doesNotMatch(output, / # SKIP/);
    assert.match(output, /test data not found \(\S+\): run scripts\/fetchTestData\.sh, or set NT_TEST_DATA to where it is \(CI=true: no skip\)/);
  });
});
