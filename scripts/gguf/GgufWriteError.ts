/**
 * Why the GGUF writer refused something. Tests assert on `code`, never on message text
 * (STYLE "Errors read like undici's"); the message names the thing and the reason.
 */
export type GgufWriteErrorCode =
  /** A metadata value is out of range for its declared type, or not of that type at all. */
  | "ERR_GGUF_BAD_VALUE"
  /** A metadata key or tensor name was added twice, or a key is malformed. */
  | "ERR_GGUF_BAD_NAME"
  /** A tensor shape is not 1..4 positive integer dims, or ne[0] is not a multiple of the block. */
  | "ERR_GGUF_BAD_SHAPE"
  /** A tensor type is unknown, or unsupported and not written through the raw escape hatch. */
  | "ERR_GGUF_BAD_TYPE"
  /** A tensor's source produced more or fewer bytes than its shape and type need. */
  | "ERR_GGUF_SOURCE_SIZE"
  /** A writer option is invalid (version, alignment). */
  | "ERR_GGUF_BAD_OPTION"
  /** The writer was changed after writing started. */
  | "ERR_GGUF_SEALED";

/** The one error type the GGUF writer, its value constructors and its helpers throw. */
export class GgufWriteError extends Error {
  readonly code: GgufWriteErrorCode;

  constructor(code: GgufWriteErrorCode, message: string) {
    super(message);
    this.name = "GgufWriteError";
    this.code = code;
  }
}
