import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { LiveConfig } from "../daemon/config/LiveConfig.js";
import { parseDaemonArgs } from "../daemon/config/parseDaemonArgs.js";
import { DEFAULT_DAEMON_CONFIG } from "../daemon/config/defaultDaemonConfig.js";
import { resolveDaemonConfig } from "../daemon/config/resolveDaemonConfig.js";
import { capturingLogger } from "./support/capturingLogger.js";

describe("daemon configuration: backend, budgets and the HTTP API key", () => {
  let dir: string;
  let file: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ntd-config-placement-"));
    file = path.join(dir, "config.json");
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("defaults to backend auto, budgets auto and no API key", () => {
    assert.equal(DEFAULT_DAEMON_CONFIG.backend, "auto");
    assert.equal(DEFAULT_DAEMON_CONFIG.vramBudget, "auto");
    assert.equal(DEFAULT_DAEMON_CONFIG.pinnedBudget, "auto");
    assert.equal(DEFAULT_DAEMON_CONFIG.httpApiKey, "");
  });

  it("reads budgets as bytes or size strings from the file, the environment and flags", async () => {
    await writeFile(file, JSON.stringify({ vramBudget: "24GiB", pinnedBudget: 1024, backend: "cpu" }));
    const fromFile = await resolveDaemonConfig({ configPath: file, env: {} });
    assert.deepEqual([fromFile.backend, fromFile.vramBudget, fromFile.pinnedBudget], ["cpu", 24 * 2 ** 30, 1024]);
    const layered = await resolveDaemonConfig({
      configPath: file, env: { NT_VRAM_BUDGET: "1.5GB", NT_PINNED_BUDGET: "512MiB", NT_BACKEND: "cuda" },
      flags: { pinnedBudget: "auto" },
    });
    assert.deepEqual([layered.backend, layered.vramBudget, layered.pinnedBudget], ["cuda", 1.5e9, "auto"]);
  });

  it("refuses a bad backend or size, naming the key as its source spells it", async () => {
    await assert.rejects(resolveDaemonConfig({ env: { NT_BACKEND: "rocm" } }), /NT_BACKEND/);
    await assert.rejects(resolveDaemonConfig({ env: { NT_VRAM_BUDGET: "lots" } }), /NT_VRAM_BUDGET.*"lots" is not a size/);
    await assert.rejects(resolveDaemonConfig({ env: {}, flags: { pinnedBudget: "-1GiB" } }), /--pinned-budget.*must not be negative/);
    await writeFile(file, JSON.stringify({ vramBudget: 2 ** 60 }));
    await assert.rejects(resolveDaemonConfig({ configPath: file, env: {} }), /"vramBudget".*too large/);
    await assert.rejects(resolveDaemonConfig({ env: { NT_HTTP_API_KEY: "has space" } }), /NT_HTTP_API_KEY/);
  });

  it("takes the KV cache type from the file, NT_KV_TYPE and --kv-type, f16 by default, refusing others", async () => {
    assert.equal(DEFAULT_DAEMON_CONFIG.kvType, "f16");
    await writeFile(file, JSON.stringify({ kvType: "q8_0" }));
    assert.equal((await resolveDaemonConfig({ configPath: file, env: {} })).kvType, "q8_0");
    assert.equal((await resolveDaemonConfig({ configPath: file, env: { NT_KV_TYPE: "f32" } })).kvType, "f32");
    const args = await parseDaemonArgs(["node", "ntd", "--kv-type", "f32"]);
    assert.equal((await resolveDaemonConfig({ env: { NT_KV_TYPE: "q8_0" }, flags: args.flags })).kvType, "f32");
    await assert.rejects(resolveDaemonConfig({ env: { NT_KV_TYPE: "q4_0" } }), /NT_KV_TYPE/);
  });

  it("takes --backend, --vram-budget, --pinned-budget and --http-api-key on ntd's command line", async () => {
    const args = await parseDaemonArgs(["node", "ntd", "--backend", "cpu", "--vram-budget", "2GiB",
      "--pinned-budget", "auto", "--http-api-key", "sk-test"]);
    assert.deepEqual(args.flags.backend, "cpu");
    assert.equal(args.flags.vramBudget, "2GiB");
    assert.equal(args.flags.pinnedBudget, "auto");
    assert.equal(args.flags.httpApiKey, "sk-test");
    const config = await resolveDaemonConfig({ env: {}, flags: args.flags });
    assert.equal(config.vramBudget, 2 * 2 ** 30);
  });

  it("spells the context option as ntctl and llama.cpp do (--ctx-size, -c), still taking --context-size", async () => {
    assert.equal((await parseDaemonArgs(["node", "ntd", "--ctx-size", "2048"])).flags.contextSize, 2048);
    assert.equal((await parseDaemonArgs(["node", "ntd", "-c", "1024"])).flags.contextSize, 1024);
    assert.equal((await parseDaemonArgs(["node", "ntd", "--context-size", "512"])).flags.contextSize, 512);
  });

  it("applies new budgets and key on reload without ever logging the key", async () => {
    await writeFile(file, JSON.stringify({ httpApiKey: "first-secret", vramBudget: "1GiB" }));
    const live = await LiveConfig.load({ configPath: file, env: {} });
    const log = capturingLogger();
    live.logger = log.logger;
    await writeFile(file, JSON.stringify({ httpApiKey: "second-secret", vramBudget: "2GiB" }));
    const result = await live.reload();
    assert.deepEqual(result.applied.sort(), ["httpApiKey", "vramBudget"]);
    assert.equal(live.current.httpApiKey, "second-secret");
    const text = log.lines.join("");
    assert.match(text, /httpApiKey: changed \(value not logged\)/);
    assert.doesNotMatch(text, /secret/);
    assert.match(text, /vramBudget: 1073741824 -> 2147483648/);
  });
});
