import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import type { TestContext } from "node:test";
import { fileURLToPath } from "node:url";

const scripts = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "scripts", "qemu");
/** The lines worth showing as the guest runs: checks, verdicts, and the scripts' own messages. */
const SHOWN = /^(ok |not ok |guest|NT-QEMU-RESULT|[A-Za-z]+\.sh: )/;
/** The scripts' "QEMU or the kernel cannot be had here". */
const UNAVAILABLE = 77;

/**
 * Runs scripts/qemu/`script` (runHelperProof.sh, runSystemdProof.sh) with NT_QEMU_TIMEOUT=`timeoutS`,
 * echoing the lines that say how it goes to stderr as they come; resolves with its exit status and
 * every line it printed. Where QEMU or the kernel cannot be had, skips `t` saying why and resolves
 * with undefined, except under CI=true, where that fails.
 */
export async function runQemuProof(t: TestContext, script: string, timeoutS: number): Promise<{ status: number | null; lines: string[] } | undefined> {
  const run = await spawnProof(script, timeoutS);
  if (run.status !== UNAVAILABLE) return run;
  const why = run.lines.filter((line) => /^[A-Za-z]+\.sh: /.test(line)).join("; ") || "QEMU or the guest kernel is unavailable";
  if (process.env.CI === "true") assert.fail(`CI=true requires the QEMU proof: ${why}`);
  t.skip(why);
  return undefined;
}

function spawnProof(script: string, timeoutS: number): Promise<{ status: number | null; lines: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [path.join(scripts, script)], { env: { ...process.env, NT_QEMU_TIMEOUT: String(timeoutS) }, stdio: ["ignore", "pipe", "pipe"] });
    const lines: string[] = [];
    let partial = "";
    const onData = (chunk: Buffer) => {
      const text = partial + chunk.toString();
      const complete = text.split("\n");
      partial = complete.pop() ?? "";
      for (const line of complete) {
        lines.push(line);
        if (SHOWN.test(line)) process.stderr.write(`qemu guest | ${line}\n`);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("error", reject);
    child.once("close", (status) => {
      if (partial !== "") lines.push(partial);
      resolve({ status, lines });
    });
  });
}
