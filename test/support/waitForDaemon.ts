import { setTimeout as sleep } from "node:timers/promises";
import { NtClient } from "../../ctl/NtClient.js";

/** Connects to a daemon that is still starting, retrying until `timeoutMs` has passed. */
export async function waitForDaemon(socketPath: string, timeoutMs = 10_000): Promise<NtClient> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await NtClient.connect({ socketPath, timeoutMs: 1000 });
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(50);
    }
  }
}
