import { loopDevicesUnavailable } from "./loopDevicesUnavailable.js";

/**
 * node:test's `skip` for tests that need loop devices (`what` says for what): a reason where none
 * can be had (not root, no losetup), false where they can — and always false under CI=true,
 * where a missing loop device must fail the tests, not skip them.
 */
export function skipWithoutLoopDevices(what: string): string | false {
  const unavailable = loopDevicesUnavailable();
  return unavailable !== undefined && process.env.CI !== "true" ? `${unavailable}; ${what}` : false;
}
