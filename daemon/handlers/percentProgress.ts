import type { LoadProgressEvent } from "../../protocol/verbs/loadProgressEvent.js";

/**
 * A load-progress listener that emits an event each time another whole percent of the weights
 * has been read, so a large model's load does not flood the socket.
 */
export function percentProgress(emit: (event: LoadProgressEvent) => void): (done: number, total: number) => void {
  let shownPercent = -1;
  return (done, total) => {
    const percent = total > 0 ? Math.floor((100 * done) / total) : 0;
    if (percent === shownPercent) return;
    shownPercent = percent;
    emit({ type: "progress", done, total });
  };
}
