import { SingleBar } from "cli-progress";

/** What loadProgressBar returns. */
export interface LoadProgressBar {
  /** Draws the bar at `done` of `total` bytes read, starting it at the first report. */
  update(done: number, total: number): void;
  /** Clears the bar, if it was drawn; later updates are ignored. */
  stop(): void;
}

/**
 * A one-line bar on stderr while the daemon reads a model's weights, cleared when done:
 * "loading MODEL [=====-----] 50% 12.0/24.0 MiB". Drawn only once progress arrives, so a model
 * already loaded shows nothing.
 */
export function loadProgressBar(argument: string): LoadProgressBar {
  const bar = new SingleBar({
    stream: process.stderr,
    clearOnComplete: true,
    hideCursor: true,
    format: `loading ${argument} [{bar}] {percentage}% {doneMiB}/{totalMiB} MiB`,
  });
  const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
  let state: "idle" | "drawn" | "stopped" = "idle";
  return {
    update: (done, total) => {
      if (state === "stopped") return;
      if (state === "idle") bar.start(total, 0, { doneMiB: mib(0), totalMiB: mib(total) });
      state = "drawn";
      bar.update(done, { doneMiB: mib(done), totalMiB: mib(total) });
    },
    stop: () => {
      if (state === "drawn") bar.stop();
      state = "stopped";
    },
  };
}
