// Runs as nt-nvme-helper.service itself, in the QEMU guest that scripts/qemu/runSystemdProof.sh
// boots: guestSystemdProof.ts starts the installed unit with a drop-in that replaces only its
// ExecStart (and makes it a oneshot whose output goes to a file), so every sandbox setting of the
// unit and of its other drop-ins applies, as systemd and the kernel enforce them. It tries each
// access of the plan (argv[2], JSON: SandboxProbePlan) and prints what happened as one JSON
// object; it judges nothing. Node's built-in modules only: it is copied out of the checkout to a
// path the unit can see (ProtectHome= hides /root and /home, where a checkout may live).
import { closeSync, constants, openSync, readFileSync, writeSync } from "node:fs";

/** One access to try: open a path for writing, reading or both, or write bytes to it. */
export interface SandboxProbe {
  /** Names the access in the result. */
  name: string;
  path: string;
  /** "write" opens O_WRONLY and writes `data`; the others open with those flags (excl: O_RDWR | O_EXCL, as the helper opens its image area) and close. */
  op: "open-write" | "open-read" | "open-excl" | "write";
  /** For "write": what to write (chosen by the caller to change nothing, e.g. the current value). */
  data?: string;
}

/** What was tried, in order. */
export interface SandboxProbePlan {
  probes: SandboxProbe[];
}

/** The probe's output: its credentials as the kernel shows them, and each access's outcome. */
export interface SandboxProbeReport {
  uid: number;
  /** /proc/self/status lines the sandbox sets: CapEff, CapBnd, NoNewPrivs, Seccomp. */
  status: Record<string, string>;
  results: Array<{ name: string; path: string; op: SandboxProbe["op"]; ok: boolean; code?: string }>;
}

const FLAGS = { "open-write": constants.O_WRONLY, "open-read": constants.O_RDONLY, "open-excl": constants.O_RDWR | constants.O_EXCL, write: constants.O_WRONLY };

const plan = JSON.parse(readFileSync(process.argv[2] ?? "", "utf8")) as SandboxProbePlan;
const report: SandboxProbeReport = { uid: process.getuid?.() ?? -1, status: ownStatus(), results: [] };
for (const probe of plan.probes) {
  try {
    // No O_CREAT: a path that is not there is ENOENT, not a file the probe made.
    const fd = openSync(probe.path, FLAGS[probe.op]);
    try {
      if (probe.op === "write") writeSync(fd, probe.data ?? "");
    } finally {
      closeSync(fd);
    }
    report.results.push({ name: probe.name, path: probe.path, op: probe.op, ok: true });
  } catch (err) {
    report.results.push({ name: probe.name, path: probe.path, op: probe.op, ok: false, code: (err as NodeJS.ErrnoException).code ?? String(err) });
  }
}
process.stdout.write(`${JSON.stringify(report)}\n`);

function ownStatus(): Record<string, string> {
  const wanted = new Set(["CapEff", "CapBnd", "NoNewPrivs", "Seccomp"]);
  const status: Record<string, string> = {};
  for (const line of readFileSync("/proc/self/status", "utf8").split("\n")) {
    const [key, value] = line.split(":\t");
    if (key !== undefined && value !== undefined && wanted.has(key)) status[key] = value.trim();
  }
  return status;
}
