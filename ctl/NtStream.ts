/**
 * A streaming request as its caller sees it: iterate it for the events as they arrive, and await
 * `result` for the answer that ends it. The request runs whether or not anyone iterates; events
 * are buffered until read (a generation's events are small and bounded by its token count).
 *
 * Iteration ends after the last event once the request succeeds, and throws the request's error
 * (an NtError) once it fails. Leaving a `for await` loop early (break, return, throw) cancels the
 * request, as nothing would read the rest; `result` then rejects with NT_E_CANCELLED.
 */
export class NtStream<E, R> implements AsyncIterable<E> {
  /** The request's validated result; rejects with the request's NtError. */
  readonly result: Promise<R>;
  readonly #buffer: E[] = [];
  readonly #cancel: () => void;
  /** Wakes a next() waiting for an event or the end. */
  #wake: (() => void) | undefined;
  #ended = false;
  #failed = false;
  #error: unknown;
  /** Set once the consumer left the loop: later next() calls report the end. */
  #returned = false;

  /**
   * @param start Sends the request, handing each event to `push`; resolves with the result.
   * @param cancel Asks the daemon to cancel the request (a no-op once it has ended).
   */
  constructor(start: (push: (event: E) => void) => Promise<R>, cancel: () => void) {
    this.#cancel = cancel;
    this.result = start((event) => {
      this.#buffer.push(event);
      this.#wakeUp();
    });
    this.result.then(() => this.#end(false, undefined), (err: unknown) => this.#end(true, err));
    // A caller who only iterates gets the error from the loop; it must not also surface as an
    // unhandled rejection of `result`, which would end the process. Awaiting `result` still rejects.
    this.result.catch(() => {});
  }

  [Symbol.asyncIterator](): AsyncIterator<E> {
    return {
      next: () => this.#next(),
      return: () => {
        this.#returned = true;
        if (!this.#ended) this.#cancel();
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  }

  async #next(): Promise<IteratorResult<E>> {
    for (;;) {
      if (this.#returned) return { done: true, value: undefined };
      if (this.#buffer.length > 0) return { done: false, value: this.#buffer.shift()! };
      if (this.#ended) {
        if (this.#failed) throw this.#error;
        return { done: true, value: undefined };
      }
      await new Promise<void>((resolve) => { this.#wake = resolve; });
    }
  }

  #end(failed: boolean, error: unknown): void {
    this.#ended = true;
    this.#failed = failed;
    this.#error = error;
    this.#wakeUp();
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
