import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { LlamaCppOracle } from "./llamaCppOracle.js";

// This file runs as dist/test/oracle/loadLlamaCppOracle.js; the oracle itself must run from the
// source folder, the only place node-llama-cpp resolves (test/oracle/node_modules).
const oracleDir = fileURLToPath(new URL("../../../test/oracle/", import.meta.url));

/**
 * The llama.cpp oracle (test/oracle/llamaCppOracle.js), or undefined when its package is not
 * installed (the test then skips). With CI=true a missing install is an error, not a skip, as
 * with missing test data (DESIGN §7). Install it with `npm run oracle:install`.
 */
export async function loadLlamaCppOracle(): Promise<LlamaCppOracle | undefined> {
  if (!existsSync(`${oracleDir}node_modules/node-llama-cpp/package.json`)) {
    if (process.env["CI"] === "true") {
      throw new Error(`the llama.cpp oracle is not installed in ${oracleDir}; CI needs it (npm run oracle:install)`);
    }
    return undefined;
  }
  const module = (await import(pathToFileURL(`${oracleDir}llamaCppOracle.js`).href)) as { llamaCppOracle: LlamaCppOracle };
  return module.llamaCppOracle;
}
