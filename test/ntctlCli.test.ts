import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DaemonServer } from "../daemon/DaemonServer.js";
import { parseMessage } from "../protocol/parseMessage.js";
import { PROTOCOL_VERSION } from "../protocol/protocolVersion.js";
import { VERBS } from "../protocol/verbs.js";
import { fakeEngine } from "./support/fakeEngine.js";
import { makeSocketDir } from "./support/makeSocketDir.js";
import { runNtctl } from "./support/runNtctl.js";


/** ntctl with these arguments (runNtctl). */
const ntctl = (...args: string[]) => runNtctl(args);

describe("ntctl against a running daemon", () => {
  let dir: Awaited<ReturnType<typeof makeSocketDir>>;
  let server: DaemonServer;

  before(async () => {
    dir = await makeSocketDir();
    server = new DaemonServer({ socketPath: dir.socketPath, loadEngine: fakeEngine });
    await server.start();
  });

  after(async () => {
    await server.stop();
    await dir.remove();
  });

  it("status --json prints the status result as one object and exits 0", async () => {
    const run = await ntctl("--socket", dir.socketPath, "status", "--json");
    assert.equal(run.code, 0, run.stderr);
    const status = parseMessage(VERBS.status.result, JSON.parse(run.stdout), "status");
    assert.equal(status.pid, process.pid);
    assert.equal(status.socket, dir.socketPath);
  });

  it("status prints a human summary naming the socket and devices, and exits 0", async () => {
    const run = await ntctl("--socket", dir.socketPath, "status");
    assert.equal(run.code, 0, run.stderr);
    assert.ok(run.stdout.includes(dir.socketPath));
    assert.ok(run.stdout.includes("Test GPU"));
  });

  it("version --json prints ntctl's and the daemon's versions and exits 0", async () => {
    const run = await ntctl("--socket", dir.socketPath, "version", "--json");
    assert.equal(run.code, 0, run.stderr);
    const output = JSON.parse(run.stdout) as { ntctl: { protocol: number }; daemon: unknown };
    assert.equal(output.ntctl.protocol, PROTOCOL_VERSION);
    const daemon = parseMessage(VERBS.version.result, output.daemon, "daemon");
    assert.equal(daemon.protocol, PROTOCOL_VERSION);
    assert.equal(daemon.engine?.version, "9.9.9");
  });
});

describe("ntctl without a daemon", () => {
  let dir: Awaited<ReturnType<typeof makeSocketDir>>;
  before(async () => {
    dir = await makeSocketDir();
  });
  after(async () => {
    await dir.remove();
  });

  it("status --json prints NT_E_DAEMON_UNREACHABLE on stdout and exits 3", async () => {
    const run = await ntctl("--socket", dir.socketPath, "status", "--json");
    assert.equal(run.code, 3);
    assert.equal((JSON.parse(run.stdout) as { error: { code: string } }).error.code, "NT_E_DAEMON_UNREACHABLE");
  });

  it("status prints the error with its code on stderr and exits 3", async () => {
    const run = await ntctl("--socket", dir.socketPath, "status");
    assert.equal(run.code, 3);
    assert.equal(run.stdout, "");
    assert.match(run.stderr, /^ntctl: .*\[NT_E_DAEMON_UNREACHABLE\]\n$/);
  });

  it("version --json still exits 0, reporting the daemon as unreachable", async () => {
    const run = await ntctl("--socket", dir.socketPath, "version", "--json");
    assert.equal(run.code, 0, run.stderr);
    const output = JSON.parse(run.stdout) as { ntctl: { version: string }; daemon: { error: { code: string } } };
    assert.equal(output.daemon.error.code, "NT_E_DAEMON_UNREACHABLE");
  });

  it("version still exits 0 in text form", async () => {
    const run = await ntctl("--socket", dir.socketPath, "version");
    assert.equal(run.code, 0, run.stderr);
    assert.ok(run.stdout.includes(dir.socketPath));
  });
});

describe("ntctl usage errors", () => {
  for (const args of [[], ["launch"], ["status", "--no-such-option"]]) {
    it(`exits 2 with NT_E_BAD_REQUEST for "ntctl ${args.join(" ")}"`, async () => {
      const run = await ntctl(...args, "--json");
      assert.equal(run.code, 2);
      assert.equal((JSON.parse(run.stdout) as { error: { code: string } }).error.code, "NT_E_BAD_REQUEST");
    });
  }
});

describe("ntctl help", () => {
  it("offline verbs (inspect, bench) do not offer --socket; daemon verbs do", async () => {
    for (const verb of ["inspect", "bench"]) {
      const help = await ntctl(verb, "--help");
      assert.equal(help.code, 0, help.stderr);
      assert.doesNotMatch(help.stdout, /--socket/, verb);
    }
    assert.match((await ntctl("run", "--help")).stdout, /--socket/);
  });

  it("bench's counts are numbers, and the context flag is spelled --ctx-size, -c", async () => {
    const bench = (await ntctl("bench", "--help")).stdout;
    for (const flag of ["--n-prompt", "--n-gen", "--repetitions", "--threads"]) {
      assert.match(bench, new RegExp(`${flag}[^[]*\\[number\\]`), flag);
    }
    assert.match((await ntctl("run", "--help")).stdout, /-c, --ctx-size/);
  });

  it("stop unloads (as ollama stop) and cancel cancels requests", async () => {
    const help = (await ntctl("--help")).stdout;
    assert.match(help, /ntctl stop <model>\s+Unload a model/);
    assert.match(help, /ntctl cancel <model>\s+Cancel every request/);
  });
});
