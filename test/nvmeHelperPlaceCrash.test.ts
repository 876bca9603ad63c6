import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { HelperClient } from "../protocol/helper/HelperClient.js";
import { TEST_BDF } from "./support/makeHelperFixture.js";
import { loopDevicesUnavailable, makeLoopHelperFixture, type LoopHelperFixture } from "./support/loopDeviceFixture.js";

const unavailable = loopDevicesUnavailable();
const skip = unavailable !== undefined && process.env.CI !== "true" ? `${unavailable}; these tests use a loop device as the NVMe namespace` : false;
const helperMain = path.join(path.resolve(path.dirname(fileURLToPath(import.meta.url)), ".."), "nvme-helper", "main.js");

let fixture: LoopHelperFixture;

/** Starts the real helper binary (optionally armed to SIGKILL itself at `crashAt`); resolves once it serves. */
async function startHelper(socketPath: string, crashAt?: string): Promise<{ child: ChildProcess; stderr: () => string }> {
  const env = { ...process.env, NT_HELPER_TEST_CRASH_AT: crashAt ?? "" };
  const child = spawn(process.execPath, [helperMain, "--socket", socketPath, "--config", fixture.configFile, "--sysfs-root", fixture.sysfsRoot,
    "--proc-root", fixture.procRoot, "--dev-root", fixture.devRoot, "--journal", fixture.journalFile], { env, stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on("data", (chunk: Buffer) => {
      err += chunk.toString();
      if (err.includes("serving")) resolve();
    });
    child.once("exit", (code, signal) => reject(new Error(`helper exited ${code ?? signal}: ${err}`)));
  });
  return { child, stderr: () => err };
}

const exited = (child: ChildProcess) => new Promise<NodeJS.Signals | null>((resolve) => {
  if (child.exitCode !== null || child.signalCode !== null) resolve(child.signalCode);
  else child.once("exit", (_code, signal) => resolve(signal));
});

describe("nt-nvme-helper killed with SIGKILL at each step of place, then restarted", { skip }, () => {
  if (unavailable !== undefined && !skip) {
    it("has root and losetup (CI=true: required)", () => assert.fail(unavailable));
    return;
  }
  before(() => {
    fixture = makeLoopHelperFixture();
  });
  after(() => fixture?.removeAll());

  const steps: Array<[string, "valid" | "invalid"]> = [
    ["place:header-invalid", "invalid"], ["place:write", "invalid"], ["place:sync", "invalid"],
    ["place:verify", "invalid"], ["place:header-valid", "valid"],
  ];
  for (const [step, expected] of steps) {
    it(`after a kill at ${step}, the restarted helper finds the image ${expected === "valid" ? "verified complete" : "marked INVALID"}`, async () => {
      const socketPath = path.join(fixture.dir, `helper-${step.replace(":", "-")}.sock`);
      const { file } = fixture.makeGguf("crash.gguf", 3 << 20);
      const armed = await startHelper(socketPath, step);
      const client = await HelperClient.connect(socketPath);
      await assert.rejects(client.place({ device: TEST_BDF, name: `crash-${step.slice(6)}` }, openSync(file, "r")), { code: "NT_E_DAEMON_UNREACHABLE" });
      client.close();
      assert.equal(await exited(armed.child), "SIGKILL");

      const restarted = await startHelper(socketPath);
      try {
        assert.match(restarted.stderr(), new RegExp(`repaired after a crash: place of crash-${step.slice(6)} on ${TEST_BDF} \\(txn \\d+\\): ` +
          (expected === "valid" ? "image .* verified complete" : "image .* marked INVALID")));
        const again = await HelperClient.connect(socketPath);
        try {
          const image = (await again.request("status", {})).devices[0]?.image;
          assert.equal(image?.state, expected);
          assert.equal(image?.name, `crash-${step.slice(6)}`);
          if (expected === "invalid") await assert.rejects(again.openImage({ device: TEST_BDF }), { code: "NT_E_NOT_FOUND" });
          else {
            const opened = await again.openImage({ device: TEST_BDF });
            closeSync(opened.fd);
            assert.equal(opened.image.sizeBytes, 3 << 20);
          }
        } finally {
          again.close();
        }
      } finally {
        restarted.child.kill();
        await exited(restarted.child);
      }
    });
  }
});
