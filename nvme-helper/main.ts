#!/usr/bin/env node
// nt-nvme-helper: the root helper (DESIGN §1; THREAT_MODEL.md). Reads its root-owned
// configuration, repairs what a crash left half-done (undo journal), then serves helper.sock —
// from systemd socket activation (LISTEN_FDS) or, by hand and in tests, --socket PATH.
import { lstatSync, unlinkSync } from "node:fs";
import { parseArgs } from "node:util";
import { NtError } from "../protocol/NtError.js";
import { loadHelperConfig } from "./config/loadHelperConfig.js";
import { HelperMonitor } from "./HelperMonitor.js";
import { HelperServer } from "./HelperServer.js";
import { UndoJournal } from "./journal/UndoJournal.js";
import { loadPeerCredentialsAddon, peerCredentials } from "./peer/peerCredentials.js";
import { SysfsTree } from "./sysfs/SysfsTree.js";

const USAGE = "usage: nt-nvme-helper [--socket PATH] [--config FILE] [--sysfs-root DIR] [--proc-root DIR] [--dev-root DIR] [--journal FILE]";

try {
  const { values } = parseArgs({
    options: {
      socket: { type: "string" },
      config: { type: "string", default: "/etc/ntd/helper.json" },
      "sysfs-root": { type: "string", default: "/sys" },
      "proc-root": { type: "string", default: "/proc" },
      "dev-root": { type: "string", default: "/dev" },
      journal: { type: "string", default: "/var/lib/nt-nvme-helper/journal" },
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
  const monitor = new HelperMonitor({
    config, sysfs: new SysfsTree(values["sysfs-root"]), journal: new UndoJournal(values.journal), procRoot: values["proc-root"],
    devRoot: values["dev-root"], afterStep: crashHook(process.env.NT_HELPER_TEST_CRASH_AT),
  });
  for (const note of await monitor.repair()) process.stderr.write(`nt-nvme-helper: ${note}\n`);
  const server = new HelperServer({ config, monitor, credentialsOf: peerCredentials });
  // By hand (--socket) the socket gets systemd's SocketMode=0660: root and the group of the helper.
  await server.listen(listenTarget(values.socket));
  process.stderr.write(`nt-nvme-helper: serving ${config.devices.length} allowlisted devices\n`);
  const stop = () => void server.close().then(() => process.exit(0));
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
