// Issue 11, finding 3: out of fds, the helper's accept loop spun at 94 % CPU writing a log line per
// attempt. Now the listener pauses (100 ms doubling to 2 s, one line per pause) and resumes.
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { HelperClient } from "../protocol/helper/HelperClient.js";
import { SeqpacketConnection } from "../protocol/helper/seqpacket/SeqpacketConnection.js";
import { makeHelperFixture, type HelperFixture } from "./support/makeHelperFixture.js";

const helperMain = path.join(path.resolve(path.dirname(fileURLToPath(import.meta.url)), ".."), "nvme-helper", "main.js");
/** The helper's fd limit: room for Node's own (loading its modules opens many at once) and a couple of hundred connections. */
const NOFILE = 256;
const prlimitMissing = spawnSync("prlimit", ["--version"]).error !== undefined;
const ticksPerSecond = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;

/** CPU seconds (user + system) process `pid` has used so far. */
function cpuSeconds(pid: number): number {
  // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are the 12th and 13th.
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "").split(" ");
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("nt-nvme-helper out of file descriptors", { skip: prlimitMissing && "prlimit (util-linux) is not installed" }, () => {
  let fixture: HelperFixture;
  let helper: ChildProcessWithoutNullStreams;
  let stderr = "";
  let socketPath: string;

  before(async () => {
    fixture = makeHelperFixture();
    const etc = path.join(fixture.dir, "etc");
    mkdirSync(etc, { mode: 0o755 });
    chmodSync(fixture.dir, 0o755);
    writeFileSync(path.join(etc, "helper.json"), JSON.stringify(fixture.config), { mode: 0o644 });
    socketPath = path.join(fixture.dir, "helper.sock");
    helper = spawn("prlimit", [`--nofile=${NOFILE}:${NOFILE}`, "--", process.execPath, helperMain, "--socket", socketPath,
      "--config", path.join(etc, "helper.json"), "--sysfs-root", fixture.sysfsRoot, "--proc-root", fixture.procRoot,
      "--dev-root", fixture.devRoot, "--journal", fixture.journalFile]);
    helper.stderr.setEncoding("utf8").on("data", (text: string) => { stderr += text; });
    for (const end = Date.now() + 10_000; !stderr.includes("serving");) {
      if (Date.now() > end || helper.exitCode !== null) assert.fail(`the helper did not start: ${stderr}`);
      await sleep(20);
    }
  });
  after(() => {
    helper.kill();
    fixture.remove();
  });

  it("pauses accepting instead of spinning: few log lines and little CPU over 2 s, then serves again once fds are free", async () => {
    // Root's connections (this test runs the helper as its own uid) are not capped, so they can use up its fds.
    // In batches, until one waits unaccepted: connect() blocks once the listen backlog (64) is full.
    const connections: SeqpacketConnection[] = [];
    while (!stderr.includes("accept failed")) {
      if (connections.length >= 2 * NOFILE) assert.fail(`the helper never ran out of fds: ${stderr}`);
      for (let i = 0; i < 10; i++) connections.push(SeqpacketConnection.connect(socketPath, 1));
      await sleep(50);
    }
    const linesBefore = stderr.split("\n").length;
    const cpuBefore = cpuSeconds(helper.pid!);
    await sleep(2000);
    const cpu = cpuSeconds(helper.pid!) - cpuBefore;
    const lines = stderr.split("\n").length - linesBefore;
    assert.ok(lines <= 8, `${lines} log lines in 2 s (one per pause: 100, 200, 400, 800 ms, …):\n${stderr.slice(-2000)}`);
    assert.ok(cpu < 0.3, `the helper used ${cpu} s of CPU in 2 s out of fds`);
    assert.match(stderr, /accept failed: accept4: Too many open files; not accepting for \d+ ms/);

    for (const connection of connections) connection.close();
    const client = await HelperClient.connect(socketPath, { expectedServerUid: process.getuid?.() ?? 0 });
    try {
      assert.equal((await client.request("status", {})).devices.length, 1, "served again after the pause");
    } finally {
      client.close();
    }
  });
});
