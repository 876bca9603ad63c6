/**
 * The checks of a QEMU guest program, each printed on the serial console as it ends: "ok NAME (S s)"
 * or "not ok NAME: WHY", then a summary and the marker line "NT-QEMU-RESULT pass|fail" from which
 * the host decides (scripts/qemu/qemuGuest.sh). Not node:test: the host reads the console, and
 * every line must be whole when the guest powers off.
 */
export class GuestChecks {
  readonly #afterFailure: () => Promise<void>;
  readonly #started = Date.now();
  #checks = 0;
  #failures = 0;

  /** `afterFailure` runs after a failed check (e.g. stops a helper so the next check starts clean); its errors are ignored. */
  constructor(afterFailure: () => Promise<void> = async () => {}) {
    this.#afterFailure = afterFailure;
  }

  /** Runs one check and prints its line; returns whether it passed. */
  async check(name: string, body: () => Promise<void> | void): Promise<boolean> {
    this.#checks += 1;
    const t0 = Date.now();
    try {
      await body();
      process.stdout.write(`ok ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
      return true;
    } catch (err) {
      this.#failures += 1;
      const why = (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, " | ").slice(0, 800);
      process.stdout.write(`not ok ${name}: ${why}\n`);
      await this.#afterFailure().catch(() => {});
      return false;
    }
  }

  /** Prints the summary and the marker, then exits: a handle left open by a failed check must not keep the guest up. */
  finish(): never {
    const passed = this.#failures === 0 && this.#checks > 0;
    process.stdout.write(`guest: ${this.#checks} checks, ${this.#failures} failed, ${((Date.now() - this.#started) / 1000).toFixed(1)} s\n`);
    process.stdout.write(`NT-QEMU-RESULT ${passed ? "pass" : "fail"}\n`);
    process.exit(passed ? 0 : 1);
  }
}
