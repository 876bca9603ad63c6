import type { ByteBuilder } from "./ByteBuilder.js";
import { GgufWriteError } from "./GgufWriteError.js";

/** GGUF metadata value type ids (GGUF spec `gguf_metadata_value_type`). */
const typeIds = {
  u8: 0, i8: 1, u16: 2, i16: 3, u32: 4, i32: 5, f32: 6, bool: 7,
  string: 8, array: 9, u64: 10, i64: 11, f64: 12,
} as const;

/** The name of a GGUF metadata value type, as the constructors below spell it. */
export type GgufValueType = keyof typeof typeIds;
type SmallIntType = "u8" | "i8" | "u16" | "i16" | "u32" | "i32";
type NumberType = SmallIntType | "f32" | "f64";
type BigIntType = "u64" | "i64";

const smallIntRanges: Record<SmallIntType, readonly [number, number]> = {
  u8: [0, 0xff], i8: [-0x80, 0x7f], u16: [0, 0xffff], i16: [-0x8000, 0x7fff],
  u32: [0, 0xffffffff], i32: [-0x80000000, 0x7fffffff],
};
const bigIntRanges: Record<BigIntType, readonly [bigint, bigint]> = {
  u64: [0n, 2n ** 64n - 1n], i64: [-(2n ** 63n), 2n ** 63n - 1n],
};

/** What a value holds once validated: numbers, bigints, UTF-8 strings, or nested values. */
type Payload = number | bigint | boolean | Uint8Array;

const utf8 = new TextEncoder();

/**
 * One explicitly typed GGUF metadata value. A JS number could be a u32 or an f32, so values are
 * made only through the typed constructors (`GgufValue.u32(5)`, `GgufValue.f32(1e-5)`,
 * `GgufValue.array("string", [...])`), which check range and integer-ness and throw a
 * GgufWriteError (ERR_GGUF_BAD_VALUE) naming the problem. Import it as
 * `import { GgufValue as gguf } from "./GgufValue.js"` to write `gguf.u32(5)`.
 */
export class GgufValue {
  /** The value's type; for arrays, `elementType` says what the elements are. */
  readonly type: GgufValueType;
  /** The element type of an array value; undefined for scalars. */
  readonly elementType: GgufValueType | undefined;
  private readonly payload: Payload | readonly (Payload | GgufValue)[];

  private constructor(type: GgufValueType, elementType: GgufValueType | undefined,
    payload: Payload | readonly (Payload | GgufValue)[]) {
    this.type = type;
    this.elementType = elementType;
    this.payload = payload;
  }

  static u8(value: number): GgufValue { return GgufValue.scalar("u8", value); }
  static i8(value: number): GgufValue { return GgufValue.scalar("i8", value); }
  static u16(value: number): GgufValue { return GgufValue.scalar("u16", value); }
  static i16(value: number): GgufValue { return GgufValue.scalar("i16", value); }
  static u32(value: number): GgufValue { return GgufValue.scalar("u32", value); }
  static i32(value: number): GgufValue { return GgufValue.scalar("i32", value); }
  /** A float32; NaN and ±Infinity are allowed, a finite value that overflows float32 is not. */
  static f32(value: number): GgufValue { return GgufValue.scalar("f32", value); }
  static f64(value: number): GgufValue { return GgufValue.scalar("f64", value); }
  /** A u64; a bigint, or a number that is a safe integer. */
  static u64(value: bigint | number): GgufValue { return GgufValue.scalar("u64", value); }
  /** An i64; a bigint, or a number that is a safe integer. */
  static i64(value: bigint | number): GgufValue { return GgufValue.scalar("i64", value); }
  /** A bool, written as one byte 0 or 1 (GGUF spec). */
  static bool(value: boolean): GgufValue { return GgufValue.scalar("bool", value); }
  /** A string, written as UTF-8; lone surrogates are refused rather than turned into U+FFFD. */
  static str(value: string): GgufValue { return GgufValue.scalar("string", value); }

  /**
   * An array of `elementType`. Elements are plain JS values checked as the scalar constructors
   * check them; for `"array"`, elements are array GgufValues (GGUF allows nested arrays, each
   * written as its own element type, count and elements).
   */
  static array(elementType: NumberType, values: ArrayLike<number>): GgufValue;
  static array(elementType: BigIntType, values: ArrayLike<bigint | number>): GgufValue;
  static array(elementType: "bool", values: ArrayLike<boolean>): GgufValue;
  static array(elementType: "string", values: ArrayLike<string>): GgufValue;
  static array(elementType: "array", values: ArrayLike<GgufValue>): GgufValue;
  static array(elementType: GgufValueType, values: ArrayLike<unknown>): GgufValue {
    if (!(elementType in typeIds)) {
      throw new GgufWriteError("ERR_GGUF_BAD_VALUE", `unknown GGUF array element type ${String(elementType)}`);
    }
    const elements = Array.from(values, (value, i) => elementType === "array"
      ? checkNested(value, i)
      : checkScalar(elementType, value, `element ${i}`));
    return new GgufValue("array", elementType, elements);
  }

  /** The GGUF type id of a type name (GGUF spec `gguf_metadata_value_type`). */
  static typeId(type: GgufValueType): number {
    return typeIds[type];
  }

  /** Number of elements of an array value; undefined for scalars. */
  get length(): number | undefined {
    return Array.isArray(this.payload) ? this.payload.length : undefined;
  }

  /** Appends the value's bytes (without its own type id; the caller writes that). */
  encode(out: ByteBuilder): void {
    if (this.type !== "array") {
      encodeScalar(out, this.type, this.payload as Payload);
      return;
    }
    const elements = this.payload as readonly (Payload | GgufValue)[];
    const elementType = this.elementType as GgufValueType;
    out.u32(typeIds[elementType]);
    out.u64(BigInt(elements.length));
    for (const element of elements) {
      if (element instanceof GgufValue) element.encode(out);
      else encodeScalar(out, elementType, element);
    }
  }

  private static scalar(type: Exclude<GgufValueType, "array">, value: unknown): GgufValue {
    return new GgufValue(type, undefined, checkScalar(type, value, "value"));
  }
}

function checkNested(value: unknown, index: number): GgufValue {
  if (!(value instanceof GgufValue) || value.type !== "array") {
    throw new GgufWriteError("ERR_GGUF_BAD_VALUE",
      `element ${index} of an array of arrays is not an array GgufValue`);
  }
  return value;
}

/** Validates `value` as a `type` and returns what encodeScalar writes. */
function checkScalar(type: GgufValueType, value: unknown, what: string): Payload {
  switch (type) {
    case "u8": case "i8": case "u16": case "i16": case "u32": case "i32":
      return checkSmallInt(type, value, what);
    case "u64": case "i64":
      return checkBigInt(type, value, what);
    case "f32": case "f64":
      return checkFloat(type, value, what);
    case "bool":
      if (typeof value !== "boolean") throw badValue(type, value, what, "is not a boolean");
      return value;
    case "string":
      return checkString(value, what);
    case "array":
      throw badValue(type, value, what, "is not a scalar type");
  }
}

function checkSmallInt(type: SmallIntType, value: unknown, what: string): number {
  const [min, max] = smallIntRanges[type];
  if (typeof value !== "number" || !Number.isInteger(value)) throw badValue(type, value, what, "is not an integer");
  if (value < min || value > max) throw badValue(type, value, what, `is outside ${min}..${max}`);
  return value;
}

function checkBigInt(type: BigIntType, value: unknown, what: string): bigint {
  // A number past 2^53 has already lost precision, so only safe integers are taken as numbers.
  if (typeof value === "number" && !Number.isSafeInteger(value)) {
    throw badValue(type, value, what, "is not a safe integer (pass a bigint)");
  }
  if (typeof value !== "bigint" && typeof value !== "number") throw badValue(type, value, what, "is not an integer");
  const big = BigInt(value);
  const [min, max] = bigIntRanges[type];
  if (big < min || big > max) throw badValue(type, value, what, `is outside ${min}..${max}`);
  return big;
}

function checkFloat(type: "f32" | "f64", value: unknown, what: string): number {
  if (typeof value !== "number") throw badValue(type, value, what, "is not a number");
  if (type === "f32" && Number.isFinite(value) && !Number.isFinite(Math.fround(value))) {
    throw badValue(type, value, what, "overflows float32");
  }
  return value;
}

function checkString(value: unknown, what: string): Uint8Array {
  if (typeof value !== "string") throw badValue("string", value, what, "is not a string");
  // With the u flag a well-formed surrogate pair is one code point, so \p{Cs} matches only
  // lone surrogates, which TextEncoder would silently replace with U+FFFD.
  if (/\p{Cs}/u.test(value)) throw badValue("string", value, what, "has a lone UTF-16 surrogate");
  return utf8.encode(value);
}

function encodeScalar(out: ByteBuilder, type: GgufValueType, value: Payload): void {
  switch (type) {
    case "u8": out.u8(value as number); break;
    case "i8": out.i8(value as number); break;
    case "u16": out.u16(value as number); break;
    case "i16": out.i16(value as number); break;
    case "u32": out.u32(value as number); break;
    case "i32": out.i32(value as number); break;
    case "f32": out.f32(value as number); break;
    case "f64": out.f64(value as number); break;
    case "u64": out.u64(value as bigint); break;
    case "i64": out.i64(value as bigint); break;
    case "bool": out.u8(value ? 1 : 0); break;
    case "string": out.ggufString(value as Uint8Array); break;
    case "array": throw new Error("unreachable: arrays are encoded by GgufValue.encode");
  }
}

function badValue(type: GgufValueType, value: unknown, what: string, why: string): GgufWriteError {
  const shown = typeof value === "string" ? JSON.stringify(value.slice(0, 40)) : String(value);
  return new GgufWriteError("ERR_GGUF_BAD_VALUE", `GGUF ${type} ${what} ${shown} ${why}`);
}
