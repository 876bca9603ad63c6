#!/usr/bin/env node
// nt-nvme-helper: the root helper (DESIGN §1; THREAT_MODEL.md). Reads its root-owned
// configuration, repairs what a crash left half-done (undo journal), then serves helper.sock —
// from systemd socket activation (LISTEN_FDS) or, by hand and in tests, --socket PATH. Under
// systemd it exits when idle (--exit-when-idle; HelperLifetime.ts says why), and the next
// connection starts it again.
import { lstatSync, unlinkSync } from "node:fs";
import { parseArgs } from "node:util";
import { NtError } from "../protocol/NtError.js";
import { loadHelperConfig } from "./config/loadHelperConfig.js";
import { HelperLifetime } from "./HelperLifetime.js";
import { HelperMonitor } from "./HelperMonitor.js";
import { HelperServer } from "./HelperServer.js";
import { UndoJournal } from "./journal/UndoJournal.js";
import { loadPeerCredentialsAddon, peerCredentials } from "./peer/peerCredentials.js";
import { blockDevNumberOf, namespaceLinkPath } from "./sandbox/sandboxDropIn.js";
import { SysfsTree } from "./sysfs/SysfsTree.js";

const USAGE = "usage: nt-nvme-helper [--socket PATH] [--config FILE] [--sysfs-root DIR] [--proc-root DIR] [--dev-root DIR] [--journal FILE] [--exit-when-idle SECONDS]";

try {
  const { values } = parseArgs({
    options: {
      socket: { type: "string" },
      config: { type: "string", default: "/etc/ntd/helper.json" },
      "sysfs-root": { type: "string", default: "/sys" },
      "proc-root": { type: "string", default: "/proc" },
      "dev-root": { type: "string", default: "/dev" },
      journal: { type: "string", default: "/var/lib/nt-nvme-helper/journal" },
      "exit-when-idle": { type: "string" },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  loadPeerCredentialsAddon();
  const config = loadHelperConfig(values.config);
  const sysfs = new SysfsTree(values["sysfs-root"]);
  const idleSeconds = values["exit-when-idle"] === undefined ? undefined : positiveSeconds(values["exit-when-idle"]);
  // Made before repair(), which may move a device: it records what the sandbox admitted at start.
  const lifetime = idleSeconds === undefined ? undefined : new HelperLifetime({
    idleMs: idleSeconds * 1000, devices: config.devices.map((device) => device.bdf),
    namespaceDevNumber: (bdf) => {
      const facts = sysfs.readDevice(bdf);
      return facts?.driver === "nvme" ? facts.namespaces[0]?.devNumber : undefined;
    },
    linkDevNumber: (bdf) => blockDevNumberOf(namespaceLinkPath(bdf, values["dev-root"])),
    stopListening: () => void server.close(),
    busy: () => monitor.runningDataplanes() > 0,
    exit: (reason) => {
      process.stderr.write(`nt-nvme-helper: exiting (${reason}); the next connection starts it again\n`);
      process.exit(0);
    },
  });
  const monitor = new HelperMonitor({
    config, sysfs, journal: new UndoJournal(values.journal), procRoot: values["proc-root"],
    devRoot: values["dev-root"], afterStep: crashHook(process.env.NT_HELPER_TEST_CRASH_AT),
  });
  for (const note of await monitor.repair()) process.stderr.write(`nt-nvme-helper: ${note}\n`);
  const server = new HelperServer({
    config, monitor: lifetime?.watch(monitor) ?? monitor,
    credentialsOf: (connection) => {
      lifetime?.track(connection);
      return peerCredentials(connection);
    },
  });
  // By hand (--socket) the socket gets systemd's SocketMode=0660: root and the group of the helper.
  await server.listen(listenTarget(values.socket));
  process.stderr.write(`nt-nvme-helper: serving ${config.devices.length} allowlisted devices\n`);
  lifetime?.start();
  const stop = () => {
    // Data-plane sessions end with their controllers shut down (CC.SHN), not cut off by the exit.
    monitor.closeDataplanes();
    void server.close().then(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
} catch (err) {
  const error = NtError.from(err);
  process.stderr.write(`nt-nvme-helper: ${error.message} [${error.code}]\n`);
  process.exit(1);
}

/**
 * Crash tests (test/nvmeHelperPlace*.test.ts): NT_HELPER_TEST_CRASH_AT=place:write makes the
 * helper SIGKILL itself right after that step, as kill -9 would. Only root sets a root service's
 * environment, so this gives a client nothing.
 */
function crashHook(step: string | undefined): ((done: string) => void) | undefined {
  if (!step) return undefined;
  return (done) => {
    if (done === step) process.kill(process.pid, "SIGKILL");
  };
}

/** --exit-when-idle's value: a number of seconds above zero. */
function positiveSeconds(value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new NtError("NT_E_BAD_REQUEST", `--exit-when-idle takes a number of seconds above 0, not ${JSON.stringify(value)}`);
  }
  return seconds;
}

/** systemd's socket (fd 3, when LISTEN_FDS says so and LISTEN_PID is us), else --socket. */
function listenTarget(socket: string | undefined): { path: string } | { fd: number } {
  if (process.env.LISTEN_PID === String(process.pid) && process.env.LISTEN_FDS === "1") return { fd: 3 };
  if (!socket) throw new NtError("NT_E_BAD_REQUEST", `no socket from systemd and no --socket PATH (${USAGE})`);
  // A socket left by a previous run would make listen() fail; anything else at that path stays.
  try {
    if (lstatSync(socket).isSocket()) unlinkSync(socket);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  return { path: socket };
}
