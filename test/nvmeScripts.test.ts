// scripts/setup_nvme.sh and restore_nvme.sh are thin wrappers around ntctl: each step is one ntctl
// verb with the arguments passed through, and bad usage exits 2 before calling anything.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";

const run = promisify(execFile);
let dir = "";
let fakeNtctl = "";
let calls = "";

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "nvme-scripts-"));
  calls = join(dir, "calls");
  fakeNtctl = join(dir, "ntctl");
  // Records each call's arguments, one line per call.
  await writeFile(fakeNtctl, `#!/bin/sh\necho "$*" >> "${calls}"\n`);
  await chmod(fakeNtctl, 0o755);
  await writeFile(join(dir, "llama-70b.gguf"), "GGUF");
});
after(() => rm(dir, { recursive: true, force: true }));

async function script(name: string, args: string[]): Promise<{ code: number; calls: string[] }> {
  await rm(calls, { force: true });
  const env = { ...process.env, NTCTL: fakeNtctl };
  const code = await run("bash", [`scripts/${name}`, ...args], { env }).then(() => 0, (err: { code: number }) => err.code);
  const lines = await readFile(calls, "utf8").then((s) => s.trim().split("\n"), () => []);
  return { code, calls: lines };
}

describe("NVMe setup and restore scripts", () => {
  it("setup_nvme.sh places the model with its file name and lists the devices around it", async () => {
    const model = join(dir, "llama-70b.gguf");
    assert.deepEqual(await script("setup_nvme.sh", [model, "0000:01:00.0"]),
      { code: 0, calls: ["devices", `place ${model} --device 0000:01:00.0 --name llama-70b`, "devices"] });
    assert.equal((await script("setup_nvme.sh", [model, "0000:01:00.0", "big"])).calls[1], `place ${model} --device 0000:01:00.0 --name big`);
  });

  it("setup_nvme.sh refuses bad usage and an unreadable model without calling ntctl", async () => {
    assert.deepEqual(await script("setup_nvme.sh", []), { code: 2, calls: [] });
    assert.deepEqual(await script("setup_nvme.sh", [join(dir, "missing.gguf"), "0000:01:00.0"]), { code: 2, calls: [] });
  });

  it("restore_nvme.sh restores one device or all, then lists them", async () => {
    assert.deepEqual(await script("restore_nvme.sh", ["0000:01:00.0"]), { code: 0, calls: ["restore 0000:01:00.0", "devices"] });
    assert.deepEqual(await script("restore_nvme.sh", []), { code: 0, calls: ["restore", "devices"] });
    assert.deepEqual(await script("restore_nvme.sh", ["a", "b"]), { code: 2, calls: [] });
  });
});
