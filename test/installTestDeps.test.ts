import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const SCRIPT = path.join(root, "scripts/installTestDeps.sh");

/**
 * scripts/installTestDeps.sh against stand-ins for dpkg-query, id and apt-get placed first on
 * PATH: the stand-in dpkg-query answers from a list of installed packages, id answers a chosen
 * uid, and apt-get records each call, so no test installs anything or needs root.
 */
describe("scripts/installTestDeps.sh", () => {
  let bin: string;
  let calls: string;

  before(async () => {
    bin = await mkdtemp(path.join(os.tmpdir(), "nt-testdeps-"));
    calls = path.join(bin, "apt-get.calls");
    await stub("dpkg-query", `for p in $NT_FAKE_INSTALLED; do [[ "\${@: -1}" == "$p" ]] && { printf installed; exit 0; }; done
echo "dpkg-query: no packages found matching \${@: -1}" >&2; exit 1`);
    await stub("id", `echo "$NT_FAKE_UID"`);
    await stub("apt-get", `echo "$*" >> "${calls}"`);
  });
  after(() => rm(bin, { recursive: true, force: true }));

  async function stub(name: string, body: string): Promise<void> {
    await writeFile(path.join(bin, name), `#!/usr/bin/env bash\n${body}\n`);
    await chmod(path.join(bin, name), 0o755);
  }

  /** Runs the script with `installed` packages present, as `uid`; returns its output and apt-get's calls. */
  async function runWith(installed: string[], uid: number) {
    await rm(calls, { force: true });
    const result = spawnSync("bash", [SCRIPT], {
      encoding: "utf8",
      env: { ...process.env, PATH: `${bin}:${process.env["PATH"]}`, NT_FAKE_INSTALLED: installed.join(" "), NT_FAKE_UID: String(uid), NT_SKIP_TEST_DEPS: "" },
    });
    const aptCalls = await readFile(calls, "utf8").then((text) => text.trim().split("\n"), () => []);
    return { status: result.status, stdout: result.stdout, stderr: result.stderr, aptCalls };
  }

  /** The script's own list, read from it, so the tests follow it. */
  async function allPackages(): Promise<string[]> {
    const text = await readFile(SCRIPT, "utf8");
    const list = /^packages=\(\n([\s\S]*?)\n\)/m.exec(text);
    assert.ok(list?.[1], "the script declares packages=( ... )");
    return list[1].split(/\s+/).filter((word) => word !== "");
  }

  it("installs nothing and says so when every package is present", async () => {
    const packages = await allPackages();
    assert.ok(packages.includes("libgtest-dev") && packages.includes("clang-14") && packages.includes("qemu-system-x86"));
    const result = await runWith(packages, 0);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(result.aptCalls, []);
    assert.match(result.stdout, /all \d+ Debian packages present/);
  });

  it("as root, apt-get installs exactly the missing packages and the output names them", async () => {
    const packages = await allPackages();
    const present = packages.filter((p) => p !== "libgtest-dev" && p !== "busybox-static");
    const result = await runWith(present, 0);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(result.aptCalls, ["update -qq", "install -y --no-install-recommends libgtest-dev busybox-static -qq"]);
    assert.match(result.stdout, /installing libgtest-dev busybox-static/);
  });

  it("without root, installs nothing, fails and prints the exact command to run", async () => {
    const packages = await allPackages();
    const result = await runWith(packages.filter((p) => p !== "clang-14"), 1000);
    assert.equal(result.status, 1);
    assert.deepEqual(result.aptCalls, []);
    assert.match(result.stderr, /^ {2}sudo apt-get update && sudo apt-get install -y --no-install-recommends clang-14$/m);
  });
});
