import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { loadHelperConfig } from "../nvme-helper/config/loadHelperConfig.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const run = promisify(execFile);
const HELPER_CONFIG = "/etc/ntd/helper.json";
/** The helper's sandbox drop-in, written by the installed nt-nvme-helper-sandbox from helper.json. */
const DROP_IN = "/etc/systemd/system/nt-nvme-helper.service.d/allowlist.conf";
const WRITE_DROP_IN = new RegExp(`^\\S*node /opt/ntransformer/dist/nvme-helper/sandbox/main\\.js --config ${HELPER_CONFIG} --output ${DROP_IN}$`);
/** The copy of helper.sock's transport addon, which ntd and ntctl load as the helper's clients. */
const SEQPACKET_ADDON_COPY = /^cp -a .*\.node \/opt\/ntransformer\.new\/protocol\/helper\/seqpacket\/native\/build\/Release\/$/;

/** Runs scripts/install.sh with `args` (always with --dry-run: these tests never change the host). */
async function dryRun(...args: string[]): Promise<{ stdout: string; commands: string[]; steps: string[] }> {
  const { stdout } = await run("bash", [path.join(root, "scripts/install.sh"), "--dry-run", ...args]);
  const lines = stdout.split("\n");
  return {
    stdout,
    commands: lines.filter((line) => line.startsWith("  $ ")).map((line) => line.slice(4)),
    steps: lines.filter((line) => line.startsWith("==> ")).map((line) => line.slice(4)),
  };
}

/** Fails unless each of `expected` (a prefix, or a pattern) matches a command after the one that matched the one before. */
function assertInOrder(commands: string[], expected: Array<string | RegExp>, stdout: string): void {
  let at = -1;
  for (const step of expected) {
    const matches = (command: string) => typeof step === "string" ? command.startsWith(step) : step.test(command);
    const index = commands.findIndex((command, i) => i > at && matches(command));
    assert.ok(index > at, `"${step}" comes after the steps before it:\n${stdout}`);
    at = index;
  }
}

/**
 * install.sh, through --dry-run: it prints every command before it runs it, so the printed list is
 * what an install does, in order. systemd-analyze judges the units themselves (scripts/checkUnits.sh).
 */
describe("scripts/install.sh", () => {
  it("--dry-run prints every step of ntd's and the root helper's install, in order", async () => {
    const { stdout, commands, steps } = await dryRun();
    assertInOrder(commands, ["cp -a", "ln -sfn /opt/ntransformer/dist/daemon/main.js /usr/local/bin/ntd",
      "install -D -m 0644", "systemd-sysusers /etc/sysusers.d/ntd.conf", "systemd-tmpfiles --create /etc/tmpfiles.d/ntd.conf",
      `install -D -m 0644 ${root}/systemd/nt-nvme-helper.socket /etc/systemd/system/nt-nvme-helper.socket`,
      `install -D -m 0644 ${root}/systemd/nt-nvme-helper.service /etc/systemd/system/nt-nvme-helper.service`,
      // The socket's folder, root's, before the socket is started in it.
      "systemd-tmpfiles --create /etc/tmpfiles.d/nt-nvme-helper.conf",
      // The drop-in from the allowlist (after helper.json exists), before systemd reads the units.
      WRITE_DROP_IN, "ln -sfn /opt/ntransformer/dist/nvme-helper/sandbox/main.js /usr/local/sbin/nt-nvme-helper-sandbox",
      "systemctl daemon-reload",
      // The helper's socket before ntd, which may use it as soon as it starts.
      "systemctl stop nt-nvme-helper.service", "systemctl enable nt-nvme-helper.socket", "systemctl restart nt-nvme-helper.socket",
      "systemctl enable ntd.service", "systemctl restart ntd.service"],
    stdout);
    assert.ok(steps.length >= 8, "each step is announced");
    // The service is socket-activated: enabled or started on its own, it would bypass the socket's mode and group.
    assert.ok(!commands.some((c) => /^systemctl (enable|start|restart) .*nt-nvme-helper\.service/.test(c)),
      `nt-nvme-helper.service is only started by its socket:\n${stdout}`);
    // Its native addon goes along: without SO_PEERCRED the helper refuses to start.
    assert.ok(commands.some((c) => /^cp -a .*\.node \/opt\/ntransformer\.new\/nvme-helper\/native\/build\/Release\/$/.test(c)),
      `the helper's addon is copied:\n${stdout}`);
    assert.ok(commands.some((c) => SEQPACKET_ADDON_COPY.test(c)), `helper.sock's transport addon is copied:\n${stdout}`);
  });

  it("installs every unit and every tmpfiles.d file in systemd/, and makes each tmpfiles.d file's folders", async () => {
    const { commands } = await dryRun();
    const units = (await readdir(path.join(root, "systemd"))).filter((name) => /\.(service|socket)$/.test(name));
    assert.ok(units.length >= 3);
    for (const unit of units) {
      assert.ok(commands.includes(`install -D -m 0644 ${root}/systemd/${unit} /etc/systemd/system/${unit}`), `${unit} is installed`);
    }
    const tmpfiles = await readdir(path.join(root, "systemd/tmpfiles.d"));
    assert.ok(tmpfiles.length >= 2);
    for (const file of tmpfiles) {
      assert.ok(commands.includes(`install -D -m 0644 ${root}/systemd/tmpfiles.d/${file} /etc/tmpfiles.d/${file}`), `${file} is installed`);
      assert.ok(commands.includes(`systemd-tmpfiles --create /etc/tmpfiles.d/${file}`), `${file}'s folders are made`);
    }
  });

  it("runs the sandbox tool that the build holds, with the node that runs the services", async () => {
    const { stdout, commands } = await dryRun();
    const write = commands.find((command) => WRITE_DROP_IN.test(command));
    assert.ok(write, `the drop-in is written:\n${stdout}`);
    assert.ok(existsSync(path.join(root, "dist/nvme-helper/sandbox/main.js")), "install.sh names the built tool");
    const node = write.split(" ")[0] ?? "";
    assert.ok(stdout.includes(`node for the service: ${node} (`), `it is the node the services run with:\n${stdout}`);
    assert.ok(commands.includes("chmod 0755 /opt/ntransformer.new/dist/nvme-helper/sandbox/main.js"), `the linked tool is executable:\n${stdout}`);
  });

  it(`writes a ${HELPER_CONFIG} the helper accepts: root's alone (0600), allowing uid nt, allowlisting no device — unless one exists`,
    async () => {
      const { stdout, steps } = await dryRun();
      if (existsSync(HELPER_CONFIG)) {
        // This host has one; the script must leave it alone (it holds the administrator's allowlist).
        assert.ok(steps.includes(`keep the existing ${HELPER_CONFIG}`), stdout);
        assert.doesNotMatch(stdout, /helper\.json <<EOF/);
        return;
      }
      const lines = stdout.split("\n");
      const start = lines.indexOf(`  $ install -m 0600 -o root -g root /dev/stdin ${HELPER_CONFIG} <<EOF`);
      assert.ok(start >= 0, `the file is written root-owned with mode 0600:\n${stdout}`);
      const end = lines.indexOf("  | EOF", start);
      // Without user nt yet (a dry run before the first install) the uid is a placeholder.
      const json = lines.slice(start + 1, end).map((line) => line.replace(/^ {2}\| /, "")).join("\n").replace("<uid of nt>", "999");
      const dir = await mkdtemp(path.join(os.tmpdir(), "nt-install-"));
      try {
        const file = path.join(dir, "helper.json");
        await writeFile(file, json, { mode: 0o600 });
        const config = loadHelperConfig(file);
        assert.deepEqual(config.devices, [], "no device is allowlisted");
        assert.deepEqual(config.allowedGids, [], "group nt (which holds ntctl's users) is not allowed");
        assert.equal(config.allowedUids.length, 1, "only ntd's uid is allowed");
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

  it("--without-helper installs ntd alone and does not need the helper's addon", async () => {
    const { stdout, commands } = await dryRun("--without-helper");
    assert.ok(commands.includes("systemctl restart ntd.service"), stdout);
    assert.doesNotMatch(stdout, /nt-nvme-helper|helper\.json|nvme-helper\/native/);
    // Protocol's addon goes along all the same: it is how ntd and ntctl would reach a helper.
    assert.ok(commands.some((c) => SEQPACKET_ADDON_COPY.test(c)), `helper.sock's transport addon is copied:\n${stdout}`);
  });

  it("--dry-run --uninstall removes ntd and the helper, keeps the allowlist and the journal, and refuses unknown arguments", async () => {
    const { stdout, commands, steps } = await dryRun("--uninstall");
    assertInOrder(commands, ["systemctl disable --now ntd.service",
      "systemctl disable --now nt-nvme-helper.socket nt-nvme-helper.service",
      `rm -f /etc/systemd/system/nt-nvme-helper.socket /etc/systemd/system/nt-nvme-helper.service ${DROP_IN} /etc/tmpfiles.d/nt-nvme-helper.conf /usr/local/sbin/nt-nvme-helper-sandbox`,
      // Other drop-ins there are the administrator's: the folder goes only if empty.
      "rmdir --ignore-fail-on-non-empty /etc/systemd/system/nt-nvme-helper.service.d",
      "rm -rf /run/nt-nvme-helper",
      "rm -f /etc/systemd/system/ntd.service /etc/sysusers.d/ntd.conf /etc/tmpfiles.d/ntd.conf",
      "rm -rf /opt/ntransformer", "systemctl daemon-reload"], stdout);
    assert.ok(!commands.some((c) => /\/etc\/ntd|\/var\/lib\/(ntd|nt-nvme-helper)/.test(c)), `nothing of /etc/ntd, /var/lib/ntd or the journal is removed:\n${stdout}`);
    assert.match(steps.at(-1) ?? "", /kept .*\/etc\/ntd\/helper\.json.*\/var\/lib\/nt-nvme-helper\/journal/);
    await assert.rejects(run("bash", [path.join(root, "scripts/install.sh"), "--dry-rn"]), { code: 2 });
  });
});
