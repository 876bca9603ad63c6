/** One ggml tensor type: its GGUF id and block layout. */
export interface GgmlTypeInfo {
  /** ggml's name for the type, as llama.cpp prints it. */
  readonly name: string;
  /** The u32 written in a GGUF tensor info (ggml.h `enum ggml_type`). */
  readonly id: number;
  /** Elements per block; ne[0] must be a multiple of it. */
  readonly blockSize: number;
  /** Bytes per block. */
  readonly typeSize: number;
  /** Whether the engine reads this type (DESIGN §4); the writer writes only these by name. */
  readonly supported: boolean;
}

function type<S extends boolean>(name: string, id: number, blockSize: number, typeSize: number, supported: S) {
  return { name, id, blockSize, typeSize, supported } as const;
}

/**
 * Every ggml type the project knows. Ids and block sizes are ggml.h / ggml-common.h's; the
 * unsupported ones are listed so tests can write them and check that the reader refuses them.
 * The gaps are ids ggml retired (4, 5: Q4_2/Q4_3; 31..33, 36..38: the repacked Q4_0_4_4…
 * IQ4_NL_8_8 layouts, "support has been removed from gguf files" in ggml.h).
 */
export const ggmlTypes = {
  F32: type("F32", 0, 1, 4, true),
  F16: type("F16", 1, 1, 2, true),
  Q4_0: type("Q4_0", 2, 32, 18, true),
  Q4_1: type("Q4_1", 3, 32, 20, true),
  Q5_0: type("Q5_0", 6, 32, 22, true),
  Q5_1: type("Q5_1", 7, 32, 24, true),
  Q8_0: type("Q8_0", 8, 32, 34, true),
  Q8_1: type("Q8_1", 9, 32, 36, false),
  Q2_K: type("Q2_K", 10, 256, 84, true),
  Q3_K: type("Q3_K", 11, 256, 110, true),
  Q4_K: type("Q4_K", 12, 256, 144, true),
  Q5_K: type("Q5_K", 13, 256, 176, true),
  Q6_K: type("Q6_K", 14, 256, 210, true),
  Q8_K: type("Q8_K", 15, 256, 292, false),
  IQ2_XXS: type("IQ2_XXS", 16, 256, 66, false),
  IQ2_XS: type("IQ2_XS", 17, 256, 74, false),
  IQ3_XXS: type("IQ3_XXS", 18, 256, 98, false),
  IQ1_S: type("IQ1_S", 19, 256, 50, false),
  IQ4_NL: type("IQ4_NL", 20, 32, 18, false),
  IQ3_S: type("IQ3_S", 21, 256, 110, false),
  IQ2_S: type("IQ2_S", 22, 256, 82, false),
  IQ4_XS: type("IQ4_XS", 23, 256, 136, false),
  I8: type("I8", 24, 1, 1, false),
  I16: type("I16", 25, 1, 2, false),
  I32: type("I32", 26, 1, 4, false),
  I64: type("I64", 27, 1, 8, false),
  F64: type("F64", 28, 1, 8, false),
  IQ1_M: type("IQ1_M", 29, 256, 56, false),
  BF16: type("BF16", 30, 1, 2, true),
  TQ1_0: type("TQ1_0", 34, 256, 54, false),
  TQ2_0: type("TQ2_0", 35, 256, 66, false),
  MXFP4: type("MXFP4", 39, 32, 17, false),
} as const satisfies Record<string, GgmlTypeInfo>;

/** The name of any type in {@link ggmlTypes}. */
export type GgmlTypeName = keyof typeof ggmlTypes;

/** The names of the types the engine supports, the only ones the writer accepts by name. */
export type SupportedGgmlTypeName = {
  [K in GgmlTypeName]: (typeof ggmlTypes)[K]["supported"] extends true ? K : never;
}[GgmlTypeName];
