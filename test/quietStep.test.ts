import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const SCRIPT = path.join(root, "scripts/quietStep.sh");

/** A build step's stand-in: chatter on both streams, the engine's decision line, then `status`. */
function fakeBuild(status: number): string[] {
  return ["bash", "-c", `echo "[cmake-js] chatter"; echo "gyp info it worked if it ends with ok" >&2
echo "-- ntransformer: engine: CPU only (no GPU found; nvcc 13.0 present)"; exit ${status}`];
}

function quietStep(command: string[], env: Record<string, string> = {}) {
  const result = spawnSync("bash", [SCRIPT, "engine", ...command], {
    encoding: "utf8",
    env: { ...process.env, NT_VERBOSE_BUILD: "", npm_config_loglevel: "", ...env },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** scripts/quietStep.sh, which `npm ci` and `npm run build` run each native build step through. */
describe("scripts/quietStep.sh", () => {
  it("prints one line for a step that succeeds, with the build's own decision line, and hides the rest", () => {
    const result = quietStep(fakeBuild(0));
    assert.equal(result.status, 0);
    assert.match(result.stdout, /^engine: CPU only \(no GPU found; nvcc 13\.0 present\); built in \d+s\n$/);
    assert.equal(result.stderr, "");
  });

  it("prints all of a failing step's output and its exit status, and exits with it", () => {
    const result = quietStep(fakeBuild(3));
    assert.equal(result.status, 3);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, /\[cmake-js\] chatter/);
    assert.match(result.stderr, /gyp info it worked/);
    assert.match(result.stderr, /^engine: FAILED \(exit status 3 after \d+s\); its full output is above$/m);
  });

  it("shows everything with npm's --verbose or NT_VERBOSE_BUILD=1", () => {
    const settings: Array<Record<string, string>> = [{ npm_config_loglevel: "verbose" }, { NT_VERBOSE_BUILD: "1" }];
    for (const env of settings) {
      const result = quietStep(fakeBuild(0), env);
      assert.equal(result.status, 0);
      assert.match(result.stdout, /\[cmake-js\] chatter/);
      assert.match(result.stderr, /gyp info it worked/);
    }
  });
});
