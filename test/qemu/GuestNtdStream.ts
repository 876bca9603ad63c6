// The real ntd in the QEMU guest in the middle of streaming tier C through the helper's data
// plane (issue 15's fault checks in guestVfioProof.ts): ntd started as an unprivileged uid, the
// placed image loaded with `--storage vfio` and tier C forced, and a long greedy generation in
// flight — at least one token out, so every further token is a pass that reads tier C through
// the ring. The caller then kills ntd or the helper and checks what follows.
import assert from "node:assert/strict";
import { chmodSync } from "node:fs";
import type { VerbResult } from "../../protocol/verbs.js";
import { NtClient } from "../../ctl/NtClient.js";
import { GuestNtdProcess } from "./GuestNtdProcess.js";
import { withTimeout } from "./GuestHelperProcess.js";
import { allInTierC, GUEST_LOAD } from "./tierCBudgets.js";

/** Most of the context (128): the generation outlives any kill the checks make. */
const MANY_TOKENS = 100;
/** TCG is slow: the load and the first token get minutes, not seconds. */
const FIRST_TOKEN_TIMEOUT_MS = 240_000;

/** Options of GuestNtdStream.start. */
export interface GuestNtdStreamOptions {
  /** The device bound to vfio-pci, holding the image `name`. */
  bdf: string;
  name: string;
  /** The GGUF the image was placed from, readable by `uid` (the tier C budgets are read off it). */
  gguf: string;
  helperSocket: string;
  uid: number;
  dir: string;
}

export class GuestNtdStream {
  readonly ntd: GuestNtdProcess;
  readonly client: NtClient;
  /** The generation's result: resolves only if it ran to its end. */
  readonly generation: Promise<VerbResult<"generate">>;

  private constructor(ntd: GuestNtdProcess, client: NtClient, generation: Promise<VerbResult<"generate">>) {
    this.ntd = ntd;
    this.client = client;
    this.generation = generation;
    generation.then(() => { this.#settled = true; }, () => { this.#settled = true; });
  }

  #settled = false;

  /** Whether the generation is still in flight (neither answered nor failed). */
  get running(): boolean {
    return !this.#settled;
  }

  /** Resolves once the vfio load is done and the generation has produced its first token. */
  static async start(options: GuestNtdStreamOptions): Promise<GuestNtdStream> {
    // The helper's socket is root's 0660 by hand; a restarted helper made a new one.
    chmodSync(options.helperSocket, 0o666);
    const budgets = await allInTierC(options.gguf);
    const ntd = await GuestNtdProcess.start({ uid: options.uid, dir: options.dir, helperSocket: options.helperSocket });
    const client = await NtClient.connect({ socketPath: ntd.socketPath });
    try {
      const loaded = await client.request("load", { model: options.name, storage: "vfio", ...GUEST_LOAD, ...budgets });
      assert.ok((loaded.info.placement?.bytes.streamed ?? 0) > 0, "tier C is empty: nothing streams through the data plane");
      const stream = client.generate({ model: options.name, tokens: [1, 2, 3, 4], maxTokens: MANY_TOKENS, temperature: 0, ignoreEos: true });
      const generation = stream.result;
      // next() by hand, not `for await`: leaving that loop early would cancel the generation.
      const events = stream[Symbol.asyncIterator]();
      await withTimeout((async () => {
        for (let next = await events.next(); !next.done; next = await events.next()) if (next.value.type === "token") return;
        throw new Error(`the generation ended before its first token: ${JSON.stringify(await generation)}`);
      })(), FIRST_TOKEN_TIMEOUT_MS, "ntd's first token through the data plane");
      return new GuestNtdStream(ntd, client, generation);
    } catch (err) {
      client.close();
      await ntd.stop();
      throw new Error(`${(err as Error).message}; ntd said: ${ntd.output.slice(-1500)}`, { cause: err });
    }
  }

  /** Closes the client and stops ntd (SIGTERM), whatever state the checks left it in. */
  async stop(): Promise<void> {
    this.client.close();
    await this.ntd.stop();
  }
}
