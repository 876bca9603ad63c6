import type { CommandModule } from "yargs";
import { NtError } from "../../protocol/NtError.js";
import { packageVersion } from "../../protocol/packageVersion.js";
import { PROTOCOL_VERSION } from "../../protocol/protocolVersion.js";
import type { VerbResult } from "../../protocol/verbs.js";
import type { GlobalArgs } from "../GlobalArgs.js";
import { NtClient } from "../NtClient.js";

type DaemonVersion = VerbResult<"version"> | { error: { code: string; message: string } };

/**
 * `ntctl version`: ntctl's version and protocol, and the daemon's when one answers. A daemon that
 * cannot be asked is reported, not an error: this command exists to be run when things are wrong.
 */
export const versionCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: "version",
  describe: "Show the versions of ntctl, the protocol, and the daemon if one answers",
  handler: async (argv) => {
    const daemon = await askDaemon(argv.socket);
    const ntctl = { version: packageVersion(), protocol: PROTOCOL_VERSION };
    const text = argv.json ? JSON.stringify({ ntctl, daemon }, null, 2) : formatVersions(ntctl, daemon, argv.socket);
    process.stdout.write(`${text}\n`);
  },
};

async function askDaemon(socketPath: string): Promise<DaemonVersion> {
  try {
    const client = await NtClient.connect({ socketPath });
    try {
      return await client.request("version", {}, { timeoutMs: 10_000 });
    } finally {
      client.close();
    }
  } catch (err) {
    return { error: NtError.from(err).toWire() };
  }
}

function formatVersions(ntctl: { version: string; protocol: number }, daemon: DaemonVersion, socketPath: string): string {
  const lines = [`ntctl  ${ntctl.version} (protocol ${ntctl.protocol})`];
  if ("error" in daemon) {
    lines.push(daemon.error.code === "NT_E_DAEMON_UNREACHABLE"
      ? `daemon: not reachable at ${socketPath}`
      : `daemon: ${daemon.error.message} [${daemon.error.code}]`);
  } else {
    lines.push(`ntd    ${daemon.daemon} (protocol ${daemon.protocol}, node ${daemon.node}) at ${socketPath}`);
    lines.push(`engine ${daemon.engine ? daemon.engine.version : "not loadable (see ntctl status)"}`);
  }
  return lines.join("\n");
}
