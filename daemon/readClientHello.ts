import { clientHelloSchema, type ClientHello } from "../protocol/clientFrames.js";
import { NtError } from "../protocol/NtError.js";
import { parseMessage } from "../protocol/parseMessage.js";
import { PROTOCOL_VERSION } from "../protocol/protocolVersion.js";

/**
 * Validates the first message of a connection, which must be a hello of our protocol version.
 * The version is checked before the strict schema: a newer client's hello may carry fields this
 * server does not know, and the useful answer then is NT_E_PROTOCOL_VERSION, not "unknown field".
 */
export function readClientHello(message: unknown): ClientHello {
  const { kind, protocol } = (typeof message === "object" && message !== null ? message : {}) as
    { kind?: unknown; protocol?: unknown };
  if (kind !== "hello") {
    throw new NtError("NT_E_BAD_REQUEST",
      `the first frame must be a hello, got ${typeof kind === "string" ? `a "${kind}" frame` : "something else"}`);
  }
  if (typeof protocol === "number" && protocol !== PROTOCOL_VERSION) {
    throw new NtError("NT_E_PROTOCOL_VERSION", `client speaks protocol ${protocol}, this daemon speaks `
      + `protocol ${PROTOCOL_VERSION}; use matching ntctl and ntd versions`);
  }
  return parseMessage(clientHelloSchema, message, "hello");
}
