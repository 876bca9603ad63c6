import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ntctlMain = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../ctl/main.js");

/** How one ntctl run ended and what it printed. */
export interface NtctlRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Options of one ntctl run. */
export interface NtctlRunOptions {
  /** Written to stdin, which is then closed; default: stdin closed at once (not a terminal). */
  input?: string;
  /** Called with the child when stdout first receives text (to send it a signal mid-stream). */
  onFirstOutput?: (child: ChildProcess) => void;
}

/**
 * Runs ntctl as a child process, without blocking this process (a daemon under test may live in
 * it and must keep serving), with NT_SOCKET cleared so only --socket points it at a daemon.
 */
export async function runNtctl(args: string[], options: NtctlRunOptions = {}): Promise<NtctlRun> {
  const child = spawn(process.execPath, [ntctlMain, ...args], { env: { ...process.env, NT_SOCKET: "" } });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (text: string) => {
    if (stdout === "" && text !== "") options.onFirstOutput?.(child);
    stdout += text;
  });
  child.stderr.setEncoding("utf8").on("data", (text: string) => { stderr += text; });
  child.stdin.end(options.input ?? "");
  const [code, signal] = await once(child, "close") as [number | null, NodeJS.Signals | null];
  return { code, signal, stdout, stderr };
}
