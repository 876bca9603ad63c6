import { NtError } from "../protocol/NtError.js";
import {
  HELPER_VERBS, type HelperVerbEvent, type HelperVerbName, type HelperVerbParams, type HelperVerbResult,
} from "../protocol/helper/helperVerbs.js";
import type { HelperMonitor } from "./HelperMonitor.js";

/** What the verbs run on: the HelperMonitor (HelperLifetime.watch's proxy of it; a fake in tests of the server alone). */
export type HelperVerbMonitor = Pick<HelperMonitor, "status" | "bind" | "restore" | "place" | "openImage" | "openDataplane">;

/** One request as its handler gets it: from an authorised peer, its params already valid against the verb's schema. */
export interface HelperVerbCall<V extends HelperVerbName, FdIn extends boolean> {
  params: HelperVerbParams<V>;
  /**
   * The fd that came with the request (SCM_RIGHTS), the handler's to use until it returns; the
   * server closes it then. Only a verb with `fdIn` can get one: the server refuses an fd with any other.
   */
  fd: FdIn extends true ? number | undefined : undefined;
  /** Sends one event of this request to its client while it is connected (place's progress). */
  emit: (event: HelperVerbEvent<V>) => void;
  /** Aborts when the client hangs up or is dropped: nobody would read the answer. */
  hangUp: AbortSignal;
  /** The client's SO_PEERCRED pid: a data-plane session ends when that process does. */
  peerPid: number;
}

/** A handler's answer: the result, and with `fdOut` the fd that travels back with it (the server closes its copy once sent). */
export type HelperVerbAnswer<V extends HelperVerbName, FdOut extends boolean> =
  FdOut extends true ? { result: HelperVerbResult<V>; fd: number } : { result: HelperVerbResult<V>; fd?: undefined };

/** A verb's entry, for one setting of its fd flags (the flags decide what its handler gets and must give back). */
interface HelperVerbEntryOf<V extends HelperVerbName, FdIn extends boolean, FdOut extends boolean> {
  /** The verb's params schema (protocol/helper/helperVerbs.ts): no handler runs before a request passes it. */
  readonly params: (typeof HELPER_VERBS)[V]["params"];
  /** Whether a request may carry one fd (SCM_RIGHTS). A request of any other verb with an fd costs its connection. */
  readonly fdIn: FdIn;
  /** Whether the result carries one fd back. */
  readonly fdOut: FdOut;
  /** Does the verb; throws an NtError to answer with it. */
  readonly handle: (monitor: HelperVerbMonitor, call: HelperVerbCall<V, FdIn>) =>
    HelperVerbAnswer<V, FdOut> | Promise<HelperVerbAnswer<V, FdOut>>;
  /** What the audit line of a request served adds after the device's identity ("" for nothing): what was written or handed out. */
  readonly audit: (result: HelperVerbResult<V>) => string;
}

/** The entry of verb V: its schema, handler, fds in and out, and audit detail. */
export type HelperVerbEntry<V extends HelperVerbName> =
  | HelperVerbEntryOf<V, false, false> | HelperVerbEntryOf<V, true, false>
  | HelperVerbEntryOf<V, false, true> | HelperVerbEntryOf<V, true, true>;

/** One entry per verb of HELPER_VERBS, no more: a verb without an entry, or one more, does not compile. */
export type HelperVerbTable = { readonly [V in HelperVerbName]: HelperVerbEntry<V> };

/**
 * Every verb the helper serves, and all it may do for each (STYLE: like OpenSSH's privsep monitor
 * table): a request whose verb is not here is refused before anything runs. Each handler is one
 * call into the HelperMonitor, which checks the device (allowlist, identity) afresh; the server
 * (HelperServer.ts) authorises the peer, validates with `params`, passes fds only as the flags
 * say, and logs one audit line per request.
 */
export const HELPER_VERB_TABLE: HelperVerbTable = {
  status: {
    params: HELPER_VERBS.status.params, fdIn: false, fdOut: false,
    handle: (monitor, { params }) => ({ result: monitor.status(params) }),
    audit: () => "",
  },
  bind: {
    params: HELPER_VERBS.bind.params, fdIn: false, fdOut: false,
    handle: async (monitor, { params }) => ({ result: await monitor.bind(params) }),
    audit: () => "",
  },
  restore: {
    params: HELPER_VERBS.restore.params, fdIn: false, fdOut: false,
    handle: async (monitor, { params }) => ({ result: await monitor.restore(params) }),
    audit: () => "",
  },
  /** In: the GGUF, opened read-only by the client (the helper opens no client's path). */
  place: {
    params: HELPER_VERBS.place.params, fdIn: true, fdOut: false,
    handle: async (monitor, { params, fd, emit, hangUp }) => {
      if (fd === undefined) throw new NtError("NT_E_BAD_FD", "place needs the GGUF as an open read-only fd passed with SCM_RIGHTS; none came");
      return { result: await monitor.place(params, fd, (done, total) => emit({ type: "progress", done, total }), hangUp) };
    },
    audit: ({ image }) => `name=${image.name} bytes=${image.sizeBytes} sha256=${image.sha256}`,
  },
  /** Out: a read-only O_DIRECT fd of the namespace holding a VALID image. */
  "open-image": {
    params: HELPER_VERBS["open-image"].params, fdIn: false, fdOut: true,
    handle: (monitor, { params }) => monitor.openImage(params),
    audit: ({ image, offsetBytes }) => `name=${image.name} offset=${offsetBytes} bytes=${image.sizeBytes}`,
  },
  /** Out: the data-plane session's sealed memfd (ring page + staging slots); the VFIO fds stay in the helper. */
  "open-dataplane": {
    params: HELPER_VERBS["open-dataplane"].params, fdIn: false, fdOut: true,
    handle: (monitor, { params, peerPid }) => monitor.openDataplane(params, peerPid),
    audit: ({ image, layout }) => `name=${image.name} bytes=${image.sizeBytes} slots=${layout.slotCount}x${layout.slotBytes}`,
  },
};
