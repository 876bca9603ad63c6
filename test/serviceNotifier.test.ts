import assert from "node:assert/strict";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { ServiceNotifier, serviceStatusText } from "../daemon/service/ServiceNotifier.js";
import type { ModelStatus } from "../protocol/verbs/modelStatus.js";

/**
 * The npm package systemd-notify execs the `systemd-notify` binary, so the notifier is tested
 * through a fake one found first on PATH, which records each call's arguments as one line
 * (tab-separated). test/ntdService.test.ts drives the real binary against a datagram socket.
 */
describe("ServiceNotifier", () => {
  let dir: string;
  let callLog: string;
  let savedPath: string | undefined;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ntd-notify-"));
    callLog = path.join(dir, "calls");
    const fake = path.join(dir, "systemd-notify");
    await writeFile(fake, `#!/bin/sh\n(IFS='\t'; printf '%s\\n' "$*") >> '${callLog}'\n`);
    await chmod(fake, 0o755);
    savedPath = process.env.PATH;
    process.env.PATH = `${dir}:${savedPath ?? ""}`;
  });
  after(async () => {
    process.env.PATH = savedPath;
    await rm(dir, { recursive: true, force: true });
  });

  async function calls(): Promise<string[][]> {
    const text = await readFile(callLog, "utf8").catch(() => "");
    return text.split("\n").filter(Boolean).map((line) => line.split("\t"));
  }

  function model(overrides: Partial<ModelStatus>): ModelStatus {
    return { name: "tiny", path: "/m/tiny.gguf", state: "loaded", active: 0, queued: 0, ...overrides };
  }

  it("does nothing outside systemd (NOTIFY_SOCKET unset)", async () => {
    await rm(callLog, { force: true });
    const notifier = new ServiceNotifier({ env: {} });
    assert.equal(notifier.enabled, false);
    await notifier.ready();
    await notifier.stopping();
    notifier.dispose();
    assert.deepEqual(await calls(), []);
  });

  it("sends READY=1 with a status, STATUS= as models change, EXTEND_TIMEOUT_USEC= while loading, then STOPPING=1", async () => {
    await rm(callLog, { force: true });
    let models: ModelStatus[] = [];
    const notifier = new ServiceNotifier({ env: { NOTIFY_SOCKET: "/run/fake" }, models: () => models, pollMs: 20, extendTimeoutMs: 30 });
    await notifier.ready();
    models = [model({ state: "loading", progress: { done: 43, total: 100 } })];
    await sleep(120);
    models = [model({ active: 2 })];
    await sleep(120);
    await notifier.stopping();
    notifier.dispose();

    const sent = await calls();
    assert.deepEqual(sent[0], ["--ready", `--pid=${process.pid}`, "--status=ready: 0 models, 0 active"]);
    const statuses = sent.flat().filter((arg) => arg.startsWith("--status="));
    assert.deepEqual(statuses, ["--status=ready: 0 models, 0 active", "--status=loading tiny 43 %", "--status=ready: 1 model, 2 active"],
      "each change once, in order");
    assert.ok(sent.some((call) => call[0] === "EXTEND_TIMEOUT_USEC=30000"), "extends the timeout while a model loads");
    assert.deepEqual(sent.at(-1), ["STOPPING=1", "STATUS=stopping"]);
  });

  it("pings the watchdog at half WATCHDOG_USEC, when it is meant for this process", async () => {
    await rm(callLog, { force: true });
    const notifier = new ServiceNotifier({ env: { NOTIFY_SOCKET: "/run/fake", WATCHDOG_USEC: "60000", WATCHDOG_PID: String(process.pid) } });
    await sleep(100);
    notifier.dispose();
    const pings = (await calls()).filter((call) => call[0] === "WATCHDOG=1").length;
    assert.ok(pings >= 2 && pings <= 4, `${pings} pings in 100 ms at a 30 ms interval`);

    await rm(callLog, { force: true });
    const other = new ServiceNotifier({ env: { NOTIFY_SOCKET: "/run/fake", WATCHDOG_USEC: "60000", WATCHDOG_PID: "1" } });
    await sleep(80);
    other.dispose();
    assert.deepEqual(await calls(), [], "WATCHDOG_PID names another process");
  });

  it("words the status like systemctl status should show it", () => {
    assert.equal(serviceStatusText([]), "ready: 0 models, 0 active");
    assert.equal(serviceStatusText([model({ active: 2 })]), "ready: 1 model, 2 active");
    assert.equal(serviceStatusText([model({ active: 1, queued: 3 }), model({ name: "b" })]), "ready: 2 models, 1 active, 3 queued");
    assert.equal(serviceStatusText([model({ name: "llama-70b", state: "loading", progress: { done: 43, total: 100 } }),
      model({ name: "b", state: "loading" })]), "loading llama-70b 43 % (+1 more)");
  });
});
