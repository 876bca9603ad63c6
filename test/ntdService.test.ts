import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { closeSync, existsSync, fstatSync, openSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { makeSocketDir } from "./support/makeSocketDir.js";
import { waitForDaemon } from "./support/waitForDaemon.js";

const ntdMain = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../daemon/main.js");

/** The test's environment without what would change ntd's configuration or log format. */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env)
    .filter(([name]) => !name.startsWith("NT_") && !["JOURNAL_STREAM", "INVOCATION_ID", "NOTIFY_SOCKET", "WATCHDOG_USEC"].includes(name)));
  return { ...env, ...extra };
}

/** A started ntd whose stderr is collected; `waitFor` resolves once the log matches. */
function startNtd(args: string[], env: NodeJS.ProcessEnv = cleanEnv()) {
  const child = spawn(process.execPath, [ntdMain, ...args], { stdio: ["ignore", "ignore", "pipe"], env });
  let log = "";
  child.stderr.setEncoding("utf8").on("data", (text: string) => { log += text; });
  const exited = once(child, "exit").then(([code]) => code as number | null);
  return {
    child,
    exited,
    get log() { return log; },
    async waitFor(pattern: RegExp, timeoutMs = 10_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(log)) {
        if (Date.now() > deadline || child.exitCode !== null) assert.fail(`no ${pattern} in the log:\n${log}`);
        await sleep(20);
      }
    },
  };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill("SIGTERM");
    await once(child, "exit");
  }
}

describe("ntd as a service", () => {
  let dir: Awaited<ReturnType<typeof makeSocketDir>>;
  before(async () => { dir = await makeSocketDir(); });
  after(() => dir.remove());

  it("logs journald lines when JOURNAL_STREAM names its stderr: a syslog priority prefix, no timestamp", async () => {
    // As systemd connects a unit's output: the variable names the stream's device and inode.
    const logFile = path.join(dir.dir, "journal.log");
    const fd = openSync(logFile, "w");
    const stat = fstatSync(fd, { bigint: true });
    const child = spawn(process.execPath, [ntdMain, "--socket", dir.socketPath, "--socket-group", "", "--log-level", "debug"],
      { stdio: ["ignore", fd, fd], env: cleanEnv({ JOURNAL_STREAM: `${stat.dev}:${stat.ino}` }) });
    closeSync(fd);
    (await waitForDaemon(dir.socketPath)).close();
    await sleep(100);
    await stop(child);
    const log = await readFile(logFile, "utf8");
    const lines = log.trim().split("\n");
    for (const line of lines) assert.match(line, /^<[3467]>\S/, `every line has a priority prefix:\n${log}`);
    assert.ok(lines.some((line) => /^<6>ntd .* listening on /.test(line)), log);
    assert.ok(lines.some((line) => /^<7>conn#\d+: closed/.test(line)), log);
    assert.ok(!/\d{4}-\d\d-\d\dT\d\d:/.test(log), "no timestamps: the journal adds its own");
  });

  it("logs text when stderr is not the journal: under systemd but redirected, or piped", async () => {
    // INVOCATION_ID: run by systemd; JOURNAL_STREAM naming another stream: a redirection or a child that inherited it.
    for (const env of [cleanEnv(), cleanEnv({ INVOCATION_ID: "0123456789abcdef", JOURNAL_STREAM: "8:12345" })]) {
      const ntd = startNtd(["--socket", dir.socketPath, "--socket-group", ""], env);
      await ntd.waitFor(/listening on/);
      await stop(ntd.child);
      for (const line of ntd.log.trim().split("\n")) assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\S+ (info|warn|error) /, ntd.log);
    }
  });

  it("logs JSON objects with --log-json", async () => {
    const ntd = startNtd(["--socket", dir.socketPath, "--socket-group", "", "--log-json"]);
    await ntd.waitFor(/listening on/);
    await stop(ntd.child);
    const first = JSON.parse(ntd.log.split("\n")[0] ?? "") as Record<string, unknown>;
    assert.equal(first.level, "info");
    assert.match(String(first.message), /listening on/);
    assert.equal(typeof first.timestamp, "string");
  });

  it("exits 78 (EX_CONFIG) on a bad configuration, naming the key or the file", async () => {
    const config = path.join(dir.dir, "bad.json");
    await writeFile(config, JSON.stringify({ sockett: "/tmp/x.sock" }));
    const unknownKey = startNtd(["--config", config]);
    assert.equal(await unknownKey.exited, 78);
    assert.match(unknownKey.log, /unknown key "sockett".*\[NT_E_BAD_REQUEST\]/);

    const missing = startNtd(["--config", path.join(dir.dir, "missing.json")]);
    assert.equal(await missing.exited, 78);
    assert.match(missing.log, /missing\.json does not exist \[NT_E_NOT_FOUND\]/);
  });

  it("on SIGHUP re-reads the file: applies the log level, reports what needs a restart", async () => {
    const config = path.join(dir.dir, "config.json");
    await writeFile(config, JSON.stringify({ socket: dir.socketPath, socketGroup: "", logLevel: "info" }));
    const ntd = startNtd(["--config", config]);
    await ntd.waitFor(/listening on/);
    (await waitForDaemon(dir.socketPath)).close();
    await sleep(100);
    assert.ok(!/conn#\d+: connected/.test(ntd.log), "no debug lines at level info");

    await writeFile(config, JSON.stringify({ socket: `${dir.socketPath}.2`, socketGroup: "", logLevel: "debug", keepAlive: "1h" }));
    ntd.child.kill("SIGHUP");
    await ntd.waitFor(/configuration reloaded: logLevel: "info" -> "debug"/);
    await ntd.waitFor(/configuration reloaded: keepAlive: "5m" -> "1h"/);
    await ntd.waitFor(/ warn configuration reloaded: socket: .* needs a restart/);
    (await waitForDaemon(dir.socketPath)).close();
    await ntd.waitFor(/ debug conn#\d+: connected/);

    await writeFile(config, "{ not json");
    ntd.child.kill("SIGHUP");
    await ntd.waitFor(/ error configuration not reloaded, keeping the current one: .*not valid JSON/);
    (await waitForDaemon(dir.socketPath)).close();
    await stop(ntd.child);
    assert.equal(ntd.child.exitCode, 0, ntd.log);
  });
});

/**
 * The real path: ntd → the npm package systemd-notify → the systemd-notify binary → a Unix
 * datagram socket. Node cannot bind one, so a few lines of Python do, and print each datagram;
 * on READY=1 they also connect to ntd's socket, proving it listened by then.
 */
const listenerScript = `
import socket, sys
notify, ntd = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(notify)
print("bound", flush=True)
while True:
    message = s.recv(65536).decode()
    if "READY=1" in message.split("\\n"):
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            c.connect(ntd); print("ntd-accepts", flush=True)
        except OSError as e:
            print("ntd-refuses " + str(e), flush=True)
        c.close()
    print(repr(message), flush=True)
`;

const missingTool = ["python3", "systemd-notify"].find((tool) => spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0);

/** The Python listener on a notification socket; `received` is everything it printed so far. */
async function notifyListener(notifySocket: string, ntdSocket: string) {
  const listener = spawn("python3", ["-c", listenerScript, notifySocket, ntdSocket], { stdio: ["ignore", "pipe", "inherit"] });
  let received = "";
  listener.stdout.setEncoding("utf8").on("data", (text: string) => { received += text; });
  while (!received.includes("bound")) await sleep(20);
  return { get received() { return received; }, kill: () => listener.kill() };
}

describe("ntd under a systemd notification socket", { skip: missingTool && `${missingTool} is not installed` }, () => {
  it("sends READY=1 once the socket listens, STATUS=, and STOPPING=1 on SIGTERM", async () => {
    const dir = await makeSocketDir();
    const notifySocket = path.join(dir.dir, "notify");
    const listener = await notifyListener(notifySocket, dir.socketPath);
    try {
      const ntd = startNtd(["--socket", dir.socketPath, "--socket-group", ""], cleanEnv({ NOTIFY_SOCKET: notifySocket }));
      const waitReceived = async (needle: string) => {
        const deadline = Date.now() + 10_000;
        while (!listener.received.includes(needle)) {
          if (Date.now() > deadline) assert.fail(`no ${needle} from ntd; got:\n${listener.received}\nlog:\n${ntd.log}`);
          await sleep(20);
        }
      };
      await waitReceived("READY=1");
      await waitReceived("ntd-accepts");
      const { received } = listener;
      assert.match(received, /READY=1\\nSTATUS=ready: 0 models, 0 active\\nMAINPID=\d+/);
      assert.ok(received.indexOf("ntd-accepts") < received.indexOf("READY=1"), "connected while handling READY=1");
      ntd.child.kill("SIGTERM");
      await waitReceived("STOPPING=1");
      assert.equal(await ntd.exited, 0, ntd.log);
      assert.ok(!/cannot notify systemd/.test(ntd.log), ntd.log);
    } finally {
      listener.kill();
      await dir.remove();
    }
  });

  it("fails its start when the HTTP address is in use: exit 1 before READY=1, naming the address", async () => {
    const dir = await makeSocketDir();
    const notifySocket = path.join(dir.dir, "notify");
    const listener = await notifyListener(notifySocket, dir.socketPath);
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    try {
      const address = `127.0.0.1:${(taken.address() as net.AddressInfo).port}`;
      const ntd = startNtd(["--socket", dir.socketPath, "--socket-group", "", "--http", address], cleanEnv({ NOTIFY_SOCKET: notifySocket }));
      const exit = await Promise.race([ntd.exited, sleep(15_000).then(() => "still running")]);
      await stop(ntd.child);
      assert.equal(exit, 1, ntd.log);
      assert.match(ntd.log, new RegExp(`cannot start: HTTP address ${address.replace(/\./g, "\\.")} is already in use .*set http`));
      assert.ok(!existsSync(dir.socketPath), "the socket is removed");
      await sleep(100);
      assert.ok(!listener.received.includes("READY=1"), listener.received);
    } finally {
      taken.close();
      listener.kill();
      await dir.remove();
    }
  });
});
