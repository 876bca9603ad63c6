import type { VerbHandler } from "./VerbHandler.js";

/** `ping`: answers at once, with the daemon's clock. */
export const handlePing: VerbHandler<"ping"> = () => ({ pong: true, time: Date.now() });
