import { GgufValue } from "../../scripts/gguf/GgufValue.js";
import type { ParsedArray, ParsedValue } from "./parseGguf.js";

/** GGUF value type ids (GGUF spec) → the writer's type names. */
const typeNames = ["u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "string", "array", "u64", "i64", "f64"] as const;

/** The GgufValue that writes a parsed value back with the same type, so a file can be rewritten. */
export function toGgufValue(parsed: ParsedValue): GgufValue {
  if (parsed.type === 9) return arrayValue(parsed.value as ParsedArray);
  return scalarValue(parsed.type, parsed.value);
}

function arrayValue(array: ParsedArray): GgufValue {
  const name = typeNames[array.elementType];
  if (name === undefined) throw new Error(`unknown element type ${array.elementType}`);
  if (name === "array") return GgufValue.array("array", array.values.map((v) => arrayValue(v as ParsedArray)));
  // The overloads pair element types with JS types; the parser produced the matching JS type.
  return (GgufValue.array as (type: string, values: unknown[]) => GgufValue)(name, array.values);
}

function scalarValue(type: number, value: ParsedValue["value"]): GgufValue {
  const name = typeNames[type];
  if (name === undefined || name === "array") throw new Error(`not a scalar type ${type}`);
  const constructor = name === "string" ? "str" : name;
  return (GgufValue[constructor] as (v: unknown) => GgufValue)(value);
}
