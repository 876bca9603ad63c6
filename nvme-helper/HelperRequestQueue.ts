import { NtError } from "../protocol/NtError.js";
import type { HelperLimits } from "./config/helperConfigSchema.js";
import { countOf } from "../protocol/countOf.js";

/** A request waiting for its turn. */
interface Job {
  uid: number;
  run: () => Promise<void>;
}

/**
 * The helper's privileged work: one request at a time for all connections, so two clients cannot
 * interleave the steps of a driver move or a placement. Bounded, so uid nt cannot queue work
 * without end (issue 11 had 20 places of 60 MiB queued by one script): a uid other than root has
 * at most `maxQueuedPerUid` requests waiting or running, all of them together `maxQueued`; one more
 * is refused with NT_E_BUSY. Root's requests are never counted nor refused, and go before the
 * others' waiting ones (never before the one running), so a queue filled by nt delays root's
 * `status` by the running request at most.
 */
export class HelperRequestQueue {
  readonly #limits: Pick<HelperLimits, "maxQueuedPerUid" | "maxQueued">;
  readonly #rootWaiting: Job[] = [];
  readonly #othersWaiting: Job[] = [];
  /** Requests waiting or running per uid other than root. */
  readonly #pendingByUid = new Map<number, number>();
  #pendingOthers = 0;
  #running = false;

  constructor(limits: Pick<HelperLimits, "maxQueuedPerUid" | "maxQueued">) {
    this.#limits = limits;
  }

  /**
   * Queues `run` for `uid`, or throws NT_E_BUSY when that uid or the queue is full. `run` starts
   * after add() has returned, at the earliest in a microtask; its failure is ignored (it must
   * answer its client itself).
   */
  add(uid: number, run: () => Promise<void>): void {
    if (uid !== 0) {
      const mine = this.#pendingByUid.get(uid) ?? 0;
      if (mine >= this.#limits.maxQueuedPerUid) {
        throw new NtError("NT_E_BUSY", `uid ${uid} already has ${countOf(mine, "request")} waiting or running at nt-nvme-helper, ` +
          `the most it may (limits.maxQueuedPerUid); try again when one has finished`);
      }
      if (this.#pendingOthers >= this.#limits.maxQueued) {
        throw new NtError("NT_E_BUSY", `nt-nvme-helper already has ${countOf(this.#pendingOthers, "request")} waiting or running, ` +
          `the most it takes (limits.maxQueued); try again later`);
      }
      this.#pendingByUid.set(uid, mine + 1);
      this.#pendingOthers++;
    }
    (uid === 0 ? this.#rootWaiting : this.#othersWaiting).push({ uid, run });
    // Never inside add(): the caller finishes with the packet (and the others read with it) first.
    queueMicrotask(() => this.#next());
  }

  #next(): void {
    if (this.#running) return;
    const job = this.#rootWaiting.shift() ?? this.#othersWaiting.shift();
    if (!job) return;
    this.#running = true;
    void job.run().catch(() => {}).finally(() => {
      this.#release(job.uid);
      this.#running = false;
      this.#next();
    });
  }

  #release(uid: number): void {
    if (uid === 0) return;
    const left = (this.#pendingByUid.get(uid) ?? 1) - 1;
    if (left === 0) this.#pendingByUid.delete(uid);
    else this.#pendingByUid.set(uid, left);
    this.#pendingOthers--;
  }
}
