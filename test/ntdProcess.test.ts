import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { stat } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { NtClient } from "../ctl/NtClient.js";
import { PROTOCOL_VERSION } from "../protocol/protocolVersion.js";
import { makeSocketDir } from "./support/makeSocketDir.js";
import { RawConnection } from "./support/RawConnection.js";
import { waitForDaemon } from "./support/waitForDaemon.js";

const ntdMain = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../daemon/main.js");

/** Log output of each started daemon, for assertion messages; reading it also keeps the pipe from filling. */
const logs = new Map<ChildProcess, string>();

function startNtd(socketPath: string): ChildProcess {
  const child = spawn(process.execPath, [ntdMain, "--socket", socketPath, "--log-level", "debug"], { stdio: ["ignore", "ignore", "pipe"] });
  logs.set(child, "");
  child.stderr?.setEncoding("utf8").on("data", (text: string) => logs.set(child, logs.get(child) + text));
  return child;
}

/** A child's exit code, once it has exited. */
async function exitCode(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const [code] = await once(child, "exit") as [number | null];
  return code;
}

describe("ntd as a process", () => {
  let dir: Awaited<ReturnType<typeof makeSocketDir>>;
  let ntd: ChildProcess;
  let client: NtClient;

  before(async () => {
    dir = await makeSocketDir();
    ntd = startNtd(dir.socketPath);
    client = await waitForDaemon(dir.socketPath);
  });

  after(async () => {
    client.close();
    if (ntd.exitCode === null) ntd.kill("SIGKILL");
    await dir.remove();
  });

  it("answers ping, version and status from its own process", async () => {
    assert.equal((await client.request("ping", {})).pong, true);
    const version = await client.request("version", {});
    assert.equal(version.protocol, PROTOCOL_VERSION);
    const status = await client.request("status", {});
    assert.equal(status.pid, ntd.pid);
    assert.equal(status.socket, dir.socketPath);
    // Built or not, the engine is reported: a build and devices, or the error that stopped it loading.
    assert.ok("error" in status.engine ? typeof status.engine.error.code === "string" : Array.isArray(status.engine.devices));
  });

  it("drops a client sending garbage while another keeps working", async () => {
    const raw = await RawConnection.open(dir.socketPath);
    raw.write(Buffer.from("\x00\x00\x00\x02\x92\x01", "latin1"));
    const frame = await raw.next() as { kind: string; error: { code: string } };
    assert.equal(frame.error.code, "NT_E_BAD_FRAME");
    await raw.closed;
    assert.equal((await client.request("ping", {})).pong, true);
  });

  it("refuses to start a second daemon on a live socket, exiting 1", async () => {
    const second = startNtd(dir.socketPath);
    assert.equal(await exitCode(second), 1, logs.get(second));
    assert.equal((await client.request("ping", {})).pong, true, "the first daemon still answers");
  });

  it("on SIGTERM closes, removes its socket and exits 0", async () => {
    ntd.kill("SIGTERM");
    assert.equal(await exitCode(ntd), 0, logs.get(ntd));
    await assert.rejects(stat(dir.socketPath), { code: "ENOENT" });
  });
});

describe("ntd on SIGINT", () => {
  it("removes its socket and exits 0", async () => {
    const dir = await makeSocketDir();
    const ntd = startNtd(dir.socketPath);
    (await waitForDaemon(dir.socketPath)).close();
    ntd.kill("SIGINT");
    assert.equal(await exitCode(ntd), 0, logs.get(ntd));
    await assert.rejects(stat(dir.socketPath), { code: "ENOENT" });
    await dir.remove();
  });
});
