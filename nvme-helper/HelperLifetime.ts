/** Options of a HelperLifetime. */
export interface HelperLifetimeOptions {
  /** How long the helper stays with no connection open and no verb running before it exits, in ms. */
  idleMs: number;
  /** PCI addresses of the allowlisted devices. */
  devices: readonly string[];
  /** "major:minor" of the device's namespace now, as sysfs shows it; undefined while it has none (off nvme). */
  namespaceDevNumber: (bdf: string) => string | undefined;
  /**
   * "major:minor" that the device's DeviceAllow= path (namespaceLinkPath, sandbox/sandboxDropIn.ts) resolves to
   * now, as systemd resolves it when it starts the helper; undefined when it resolves to nothing.
   */
  linkDevNumber: (bdf: string) => string | undefined;
  /** Stops accepting connections: new ones wait in the listening socket, which systemd holds too, for the next start. */
  stopListening: () => void;
  /** Ends the process; `reason` is for the log. Called once, after stopListening. */
  exit: (reason: string) => void;
  /** How long to wait for udev to link a namespace that came back before exiting anyway, in ms. Default 2000. */
  settleMs?: number;
  /** How often idleness is checked, in ms. Default 500. */
  checkEveryMs?: number;
  /** Whether work that outlives its connection runs (a data-plane session): the helper is not idle then. Default: never. */
  busy?: () => boolean;
}

/** What one device's namespace and its DeviceAllow= path were when this process started. */
interface SeenAtStart {
  namespace: string | undefined;
  link: string | undefined;
}

/**
 * Decides when a socket-activated helper exits, so that systemd starts a fresh one at the next
 * connection. Two reasons, both only at a moment with no connection open and no verb running:
 * - idle for `idleMs`: a root process runs only while it is used, and a changed configuration or
 *   sandbox drop-in applies without anyone stopping it;
 * - a namespace is a block device other than the one this process's DeviceAllow= admitted, which
 *   systemd resolved to a fixed major:minor when it started the process: after a restore (or a
 *   bind → restore cycle) the namespace can come back with another minor, or back at all when the
 *   helper started while the device was on vfio-pci. Before exiting it waits (at most `settleMs`)
 *   for udev to point the link at the new node, so that the next start resolves the right one.
 */
export class HelperLifetime {
  readonly #options: HelperLifetimeOptions;
  readonly #atStart = new Map<string, SeenAtStart>();
  readonly #connections = new Set<{ readonly closed: boolean }>();
  #running = 0;
  #idleSince = Date.now();
  #timer: NodeJS.Timeout | undefined;
  #exiting = false;

  /** Records each device's namespace and link now: call it before anything can move a device. */
  constructor(options: HelperLifetimeOptions) {
    this.#options = options;
    for (const bdf of options.devices) {
      this.#atStart.set(bdf, { namespace: options.namespaceDevNumber(bdf), link: options.linkDevNumber(bdf) });
    }
  }

  /** Starts checking; the timer never keeps the process alive by itself. */
  start(): void {
    this.#timer ??= setInterval(() => void this.#check(), this.#options.checkEveryMs ?? 500);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Counts `connection` as open until its `closed` turns true. */
  track(connection: { readonly closed: boolean }): void {
    this.#connections.add(connection);
    this.#idleSince = Date.now();
  }

  /**
   * `target` (the HelperMonitor) with every method call counted as a verb running until it
   * returns or its promise settles: a client that hangs up during a `place` leaves the verb
   * running, and the helper must not exit under it.
   */
  watch<T extends object>(target: T): T {
    return new Proxy(target, {
      get: (object, property) => {
        const value: unknown = Reflect.get(object, property, object);
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => this.#counting(() => value.apply(object, args));
      },
    });
  }

  /** Why this process's DeviceAllow= no longer admits an allowlisted namespace, or undefined when it does. */
  staleDevice(): string | undefined {
    for (const [bdf, seen] of this.#atStart) {
      const namespace = this.#options.namespaceDevNumber(bdf);
      if (namespace === undefined || namespace === seen.link) continue;
      // Changed while this process ran, or unchanged but udev has linked it since: either way a
      // restart now resolves the link to it. Unchanged and unlinked (no udev, no namespace 1), a
      // restart would not help.
      if (namespace !== seen.namespace || this.#options.linkDevNumber(bdf) === namespace) {
        return `${bdf}'s namespace is block device ${namespace}, and this process's DeviceAllow= admitted ${seen.link ?? "none"}`;
      }
    }
    return undefined;
  }

  #counting(run: () => unknown): unknown {
    this.#running += 1;
    const done = () => {
      this.#running -= 1;
      this.#idleSince = Date.now();
    };
    let result: unknown;
    try {
      result = run();
    } catch (err) {
      done();
      throw err;
    }
    if (result instanceof Promise) return result.finally(done);
    done();
    return result;
  }

  async #check(): Promise<void> {
    if (this.#exiting) return;
    for (const connection of this.#connections) if (connection.closed) this.#connections.delete(connection);
    if (this.#connections.size > 0 || this.#running > 0 || this.#options.busy?.() === true) {
      this.#idleSince = Date.now();
      return;
    }
    const stale = this.staleDevice();
    if (stale === undefined && Date.now() - this.#idleSince < this.#options.idleMs) return;
    // From here on, in the same tick as the check: no connection can slip in between.
    this.#exiting = true;
    this.stop();
    this.#options.stopListening();
    if (stale !== undefined) await this.#settle();
    this.#options.exit(stale ?? `idle for ${this.#options.idleMs / 1000} s`);
  }

  /** Waits until every device's link points at its namespace again (udev's work after a probe), or settleMs. */
  async #settle(): Promise<void> {
    const deadline = Date.now() + (this.#options.settleMs ?? 2000);
    const linked = () => [...this.#atStart.keys()].every((bdf) => {
      const namespace = this.#options.namespaceDevNumber(bdf);
      return namespace === undefined || this.#options.linkDevNumber(bdf) === namespace;
    });
    while (!linked() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
