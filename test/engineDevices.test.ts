// The addon reports devices as data — a machine without a driver or GPU is an answer, not a crash.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, it } from "node:test";
import type { DeviceReport } from "../cuda-engine/js/EngineBinding.js";
import { loadEngine } from "../cuda-engine/js/loadEngine.js";

const cpuOnlyAddon = fileURLToPath(new URL("../../cuda-engine/build-cpu/Release/nt_engine.node", import.meta.url));
const run = promisify(execFile);

function checkReport(report: DeviceReport, cudaBuilt: boolean): void {
  assert.equal(report.devices[0]?.backend, "cpu");
  assert.ok((report.devices[0]?.totalBytes ?? 0) > 0);
  assert.equal(report.cuda.built, cudaBuilt);
  const cudaDevices = report.devices.filter((d) => d.backend === "cuda");
  assert.equal(report.cuda.available, cudaDevices.length > 0);
  if (!report.cuda.available) assert.ok(report.cuda.reason && report.cuda.reason.length > 0, "a reason is given");
  for (const d of cudaDevices) assert.match(d.computeCapability ?? "", /^\d+\.\d+$/);
}

describe("engine.devices()", () => {
  it("lists the CPU and says whether CUDA is usable, and why not", () => {
    const engine = loadEngine();
    const report = engine.devices();
    checkReport(report, engine.buildInfo().cuda);
    if (engine.buildInfo().cuda && !report.cuda.available) {
      // Says what is missing: on a machine without the driver's device nodes (CI, a container
      // without the GPU), the driver or its device node, never cudart's "insufficient driver".
      const missing = existsSync("/dev/nvidiactl")
        ? /driver|no usable CUDA device|kernel image/ : /NVIDIA driver is not installed|no device node/;
      assert.match(report.cuda.reason ?? "", missing);
    }
  });

  it("loads the CPU-only build variant and reports CUDA as not built", async (t) => {
    if (!existsSync(cpuOnlyAddon)) {
      if (process.env["CI"] === "true") assert.fail(`${cpuOnlyAddon} missing: npm run test:native builds it`);
      t.skip("the CPU-only variant is built by npm run test:native");
      return;
    }
    // A separate process: one process loads one copy of the addon.
    const script = `const e = require(${JSON.stringify(cpuOnlyAddon)}); console.log(JSON.stringify({ b: e.buildInfo(), d: e.devices() }))`;
    const { stdout } = await run(process.execPath, ["-e", script]);
    const { b, d } = JSON.parse(stdout) as { b: { cuda: boolean }; d: DeviceReport };
    assert.equal(b.cuda, false);
    checkReport(d, false);
    assert.match(d.cuda.reason ?? "", /not built.*NT_WITH_CUDA=AUTO found no nvcc or no GPU.*NT_WITH_CUDA=ON NT_CUDA_ARCHITECTURES=/);
  });
});
