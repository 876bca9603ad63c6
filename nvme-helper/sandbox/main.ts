#!/usr/bin/env node
// nt-nvme-helper-sandbox: writes the allowlist's part of nt-nvme-helper.service's sandbox (the
// writable driver_override and the allowed block device of each allowlisted device) as a systemd
// drop-in, from the helper's own configuration, read and checked as the helper reads it.
// install.sh runs it; run it again (as root) after changing the allowlist, then
// `systemctl daemon-reload` (systemd/README.md).
import { closeSync, constants, fchmodSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { NtError } from "../../protocol/NtError.js";
import { loadHelperConfig } from "../config/loadHelperConfig.js";
import { SANDBOX_DROP_IN, sandboxDropIn } from "./sandboxDropIn.js";

const USAGE = `usage: nt-nvme-helper-sandbox [--config FILE] [--output FILE|-]   (defaults: /etc/ntd/helper.json, ${SANDBOX_DROP_IN})`;

try {
  const { values } = parseArgs({
    options: {
      config: { type: "string", default: "/etc/ntd/helper.json" },
      output: { type: "string", default: SANDBOX_DROP_IN },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const config = loadHelperConfig(values.config);
  const text = sandboxDropIn(config, path.resolve(values.config));
  if (values.output === "-") {
    process.stdout.write(text);
  } else {
    writeAtomically(values.output, text);
    process.stderr.write(`nt-nvme-helper-sandbox: wrote ${values.output} (${config.devices.length} allowlisted devices); ` +
      "systemctl daemon-reload makes systemd read it, and the helper applies it at its next start\n");
  }
} catch (err) {
  const error = err instanceof TypeError && "code" in err ? new NtError("NT_E_BAD_REQUEST", `${err.message} (${USAGE})`) : NtError.from(err);
  process.stderr.write(`nt-nvme-helper-sandbox: ${error.message} [${error.code}]\n`);
  process.exit(1);
}

/**
 * Writes `file` (mode 0644 whatever the umask, as unit files are) through a new temporary file beside it,
 * synced, then renamed over it: systemd never reads half a drop-in, and an existing symlink at
 * `file` is replaced rather than followed.
 */
function writeAtomically(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
  const temporary = `${file}.tmp-${process.pid}`;
  const fd = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  try {
    fchmodSync(fd, 0o644);
    writeSync(fd, text);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(temporary, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(temporary, file);
}
