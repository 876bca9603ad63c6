import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { formatPlacement } from "../ctl/status/formatPlacement.js";
import { formatStages } from "../ctl/status/formatStatus.js";
import { parseDaemonArgs } from "../daemon/config/parseDaemonArgs.js";
import { DEFAULT_DAEMON_CONFIG } from "../daemon/config/defaultDaemonConfig.js";
import { resolveDaemonConfig } from "../daemon/config/resolveDaemonConfig.js";
import { DaemonServer } from "../daemon/DaemonServer.js";
import { calibrationCachePath } from "../daemon/models/calibrationCachePath.js";
import { placementOf, streamStagesOf } from "../daemon/models/wireForms.js";
import { NtError } from "../protocol/NtError.js";
import { parseMessage } from "../protocol/parseMessage.js";
import { PROTOCOL_VERSION } from "../protocol/protocolVersion.js";
import { VERBS } from "../protocol/verbs.js";
import { modelPlacementSchema } from "../protocol/verbs/modelPlacement.js";
import { fakeEngine, type FakeEngine } from "./support/fakeEngine.js";
import { fakeDualPlacement, fakePlacement } from "./support/fakePlacement.js";
import { makeSocketDir } from "./support/makeSocketDir.js";
import { runNtctl } from "./support/runNtctl.js";

// The dual path's options and reports outside the engine (issue 13): the load option on the wire,
// in ntctl, in ntd's configuration, to the engine; the placement's dualPath to status and ntctl.

const ntctl = (...args: string[]) => runNtctl(args);

/** "ok", or the code parsing `value` with `schema` fails with. */
function verdict(schema: Parameters<typeof parseMessage>[0], value: unknown): string {
  try {
    parseMessage(schema, value, "test");
    return "ok";
  } catch (err) {
    return err instanceof NtError ? err.code : String(err);
  }
}

describe("dual path: the protocol", () => {
  it("is protocol version 3: strict clients of 2 would refuse the placement's dualPath", () => {
    assert.equal(PROTOCOL_VERSION, 3);
  });

  it("load takes dualPath auto, on or off and a boolean recalibrate, and refuses anything else", () => {
    for (const dualPath of ["auto", "on", "off"]) assert.equal(verdict(VERBS.load.params, { model: "m", dualPath }), "ok");
    assert.equal(verdict(VERBS.load.params, { model: "m", dualPath: "auto", recalibrate: true }), "ok");
    assert.equal(verdict(VERBS.load.params, { model: "m", recalibrate: "yes" }), "NT_E_BAD_REQUEST");
    for (const dualPath of ["yes", "ON", true, 1, ""]) {
      assert.equal(verdict(VERBS.load.params, { model: "m", dualPath }), "NT_E_BAD_REQUEST", String(dualPath));
    }
  });

  it("a placement carries the dual path in wire form, and refuses a layer pattern of other letters", () => {
    const wire = placementOf(fakeDualPlacement());
    assert.deepEqual(wire.dualPath, fakeDualPlacement().dualPath);
    assert.equal(modelPlacementSchema.safeParse({ ...wire, dualPath: { ...wire.dualPath, layers: "GX" } }).success, false);
    assert.equal(placementOf(fakePlacement()).dualPath, undefined);
    const { calibration, ...noCalibration } = fakeDualPlacement().dualPath ?? assert.fail("no dual path");
    assert.ok(calibration);
    assert.throws(() => placementOf({ ...fakeDualPlacement(), dualPath: { ...noCalibration } as never }),
      (err: NtError) => err.code === "NT_E_INTERNAL" && /dualPath\.calibration/.test(err.message));
  });
});

describe("dual path: the layout each pass takes (issue 13)", () => {
  const native = { passes: 5, bytesRead: 0, bytesCopied: 2048, readMs: 0, h2dMs: 1, computeMs: 10, stallMs: 0 };

  it("status carries how many passes took the split, and ntctl shows both counts", () => {
    const stages = streamStagesOf({ ...native, splitPasses: 3 }) ?? assert.fail("no stages");
    assert.equal(stages.splitPasses, 3);
    assert.match(formatStages(stages), /^5 passes \(3 split, 2 streaming\); per pass: /);
    const plain = streamStagesOf(native) ?? assert.fail("no stages");
    assert.equal(plain.splitPasses, undefined);
    assert.match(formatStages(plain), /^5 passes; per pass: /);
    assert.equal(streamStagesOf({ ...native, splitPasses: -1 }), undefined);
  });

  it("status says whether tier C came zero-copy from the data plane's slots, and why not (issue 15)", () => {
    const direct = streamStagesOf({ ...native, tierCPath: "reader-buffers" }) ?? assert.fail("no stages");
    assert.equal(direct.tierCPath, "reader-buffers");
    assert.match(formatStages(direct), /tier C zero-copy from the data plane's slots/);
    const staged = streamStagesOf({ ...native, tierCPath: "staging", tierCFallback: "cudaHostRegister failed" })
      ?? assert.fail("no stages");
    assert.equal(staged.tierCFallback, "cudaHostRegister failed");
    assert.match(formatStages(staged), /tier C staged: cudaHostRegister failed/);
    assert.doesNotMatch(formatStages(streamStagesOf(native) ?? assert.fail("no stages")), /tier C/);
    assert.equal(streamStagesOf({ ...native, tierCPath: "bogus" as never }), undefined);
  });

  it("a placement's dual path says up to how many tokens a pass takes the split", () => {
    const dual = fakeDualPlacement();
    const withMax = { ...dual, dualPath: { ...(dual.dualPath ?? assert.fail("no dual path")), splitMaxTokens: 3 } };
    assert.equal(placementOf(withMax).dualPath?.splitMaxTokens, 3);
    assert.equal(placementOf(dual).dualPath?.splitMaxTokens, undefined);  // older engines
    assert.throws(() => placementOf({ ...withMax, dualPath: { ...withMax.dualPath, splitMaxTokens: 1.5 } }),
      (err: NtError) => err.code === "NT_E_INTERNAL" && /splitMaxTokens/.test(err.message));
  });
});

describe("dual path: ntd's configuration and the cache path", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ntd-dual-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("defaults to auto, and reads dualPath from the file, NT_DUAL_PATH and --dual-path", async () => {
    assert.equal(DEFAULT_DAEMON_CONFIG.dualPath, "auto");
    const file = path.join(dir, "config.json");
    await writeFile(file, JSON.stringify({ dualPath: "off" }));
    assert.equal((await resolveDaemonConfig({ configPath: file, env: {} })).dualPath, "off");
    assert.equal((await resolveDaemonConfig({ configPath: file, env: { NT_DUAL_PATH: "on" } })).dualPath, "on");
    const args = await parseDaemonArgs(["node", "ntd", "--dual-path", "auto"]);
    assert.equal((await resolveDaemonConfig({ configPath: file, env: {}, flags: args.flags })).dualPath, "auto");
    await assert.rejects(resolveDaemonConfig({ env: { NT_DUAL_PATH: "maybe" } }), /NT_DUAL_PATH/);
  });

  it("caches the calibration in systemd's state directory for ntd, none without one", () => {
    assert.equal(calibrationCachePath({ STATE_DIRECTORY: "/var/lib/ntd" }), "/var/lib/ntd/calibration.tsv");
    assert.equal(calibrationCachePath({ STATE_DIRECTORY: "/var/lib/ntd:/var/lib/other" }), "/var/lib/ntd/calibration.tsv");
    assert.equal(calibrationCachePath({}), undefined);
    assert.equal(calibrationCachePath({ STATE_DIRECTORY: "relative" }), undefined);
  });
});

describe("dual path: ntctl and the daemon (fake engine)", () => {
  let socketDir: Awaited<ReturnType<typeof makeSocketDir>>;
  let engine: FakeEngine;
  let server: DaemonServer;
  let model: string;

  before(async () => {
    socketDir = await makeSocketDir();
    engine = fakeEngine({ tokenDelayMs: 1 });
    server = new DaemonServer({
      socketPath: socketDir.socketPath, loadEngine: () => engine,
      models: { defaultLoad: { dualPath: "off" }, calibrationCache: "/var/lib/ntd/calibration.tsv" },
    });
    await server.start();
    model = path.join(socketDir.dir, "dual.gguf");
    await writeFile(model, JSON.stringify({ text: "ok" }));
  });

  after(async () => {
    await server.stop();
    await socketDir.remove();
  });

  it("load --dual-path on --recalibrate reaches the engine with the daemon's calibration cache", async () => {
    const run = await ntctl("--socket", socketDir.socketPath, "load", model, "--json", "--dual-path", "on", "--recalibrate");
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(engine.loadOptions.at(-1),
      { maxSequences: 4, dualPath: "on", recalibrate: true, calibrationCache: "/var/lib/ntd/calibration.tsv" });
    const loaded = JSON.parse(run.stdout) as { info: { placement: { dualPath?: { layers: string } } } };
    assert.equal(loaded.info.placement.dualPath?.layers, "GC");
  });

  it("status shows the dual path: in JSON, and as the engine's table with its dual-path line", async () => {
    const json = await ntctl("--socket", socketDir.socketPath, "status", "--json");
    assert.equal(json.code, 0, json.stderr);
    const status = JSON.parse(json.stdout) as { models: { placement?: { dualPath?: { calibration: { cpuGBps: number } } } }[] };
    assert.equal(status.models[0]?.placement?.dualPath?.calibration.cpuGBps, 75);
    assert.match(formatPlacement(placementOf(fakeDualPlacement())), /dual path on: layers GC/);
    assert.equal((await ntctl("--socket", socketDir.socketPath, "unload", "dual")).code, 0);
  });

  it("a load without the flag takes the daemon's default", async () => {
    const run = await ntctl("--socket", socketDir.socketPath, "load", model);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(engine.loadOptions.at(-1)?.dualPath, "off");
    assert.equal((await ntctl("--socket", socketDir.socketPath, "unload", "dual")).code, 0);
  });

  it("--dual-path of another value is a usage error, exit 2, before reaching the daemon", async () => {
    const before = engine.loadOptions.length;
    const run = await ntctl("--socket", socketDir.socketPath, "load", model, "--dual-path", "maybe");
    assert.equal(run.code, 2);
    assert.match(run.stderr, /dual-path/);
    assert.equal(engine.loadOptions.length, before);
  });
});
