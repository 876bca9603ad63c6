import { Packr, Unpackr, type Options } from "msgpackr";
import { checkPlainMsgpack } from "./checkPlainMsgpack.js";

/** msgpackr 2.1 implements these options, but its typings do not declare them (yet). */
type UndeclaredOptions = { skipValues?: unknown[]; int64AsType?: "auto" };

// Plain MessagePack only, so a client in any language can speak the protocol: no record extension
// (msgpackr's default for Packr/Unpackr instances), maps decode to plain objects.
const packOptions: Omit<Options, "int64AsType"> & UndeclaredOptions = {
  useRecords: false,
  // An optional field left undefined is omitted, as JSON.stringify does; msgpack has no
  // "undefined" and the schemas refuse null where a field is optional.
  skipValues: [undefined],
};

const unpackOptions: Omit<Options, "int64AsType"> & UndeclaredOptions = {
  useRecords: false,
  mapsAsObjects: true,
  // Every integer the protocol carries fits in 2^53 (uint32 ids, ms timestamps, byte counts), but
  // other encoders may still choose the uint64/int64 formats for them: those arrive as numbers.
  // Only a value beyond ±2^53 becomes a bigint, which the schemas then refuse instead of
  // silently rounding.
  int64AsType: "auto",
};

const packr = new Packr(packOptions as Options);
const unpackr = new Unpackr(unpackOptions as Options);

/** The MessagePack encoding of one message, as used inside frames. */
export const wireCodec = {
  /** Encodes one message. */
  pack(message: unknown): Buffer {
    return packr.pack(message);
  },
  /**
   * Decodes exactly one message; throws if `body` is not one complete value of plain msgpack
   * (an extension type, which msgpackr would turn into a Date, a bigint, undefined…, included).
   */
  unpack(body: Buffer): unknown {
    checkPlainMsgpack(body);
    return unpackr.unpack(body);
  },
};
