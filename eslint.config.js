// Lint configuration. The layer rules below encode DESIGN §6: a folder is a layer, and a
// forbidden import is caught here rather than discussed in review.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/** A no-restricted-imports rule forbidding relative imports into the named top-level folders. */
function forbidLayers(layers, why) {
  return {
    "no-restricted-imports": ["error", {
      patterns: [{ regex: `(^|/)(${layers.join("|")})/`, message: why }],
    }],
  };
}

export default tseslint.config(
  { ignores: ["dist/**", "build/**", "node_modules/**", "cuda-engine/build*/**", ".gpu/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "eqeqeq": ["error", "always"],
    },
  },
  {
    files: ["protocol/**/*.ts"],
    rules: forbidLayers(["daemon", "ctl", "nvme-helper", "cuda-engine", "scripts", "test"],
      "protocol/ is the bottom layer: it imports nothing of ours (DESIGN §6)."),
  },
  {
    files: ["nvme-helper/**/*.ts"],
    rules: forbidLayers(["daemon", "ctl", "cuda-engine", "scripts", "test"],
      "nvme-helper/ is root code: it imports protocol/ only and never loads the engine (DESIGN §6)."),
  },
  {
    files: ["ctl/**/*.ts"],
    rules: forbidLayers(["daemon", "nvme-helper", "scripts", "test"],
      "ctl/ talks to the daemon through protocol/; it may load the engine only for offline verbs (DESIGN §6)."),
  },
  {
    files: ["daemon/**/*.ts"],
    rules: forbidLayers(["ctl", "nvme-helper", "scripts", "test"],
      "daemon/ imports protocol/ and the engine binding only (DESIGN §6)."),
  },
  {
    files: ["cuda-engine/js/**/*.ts"],
    rules: forbidLayers(["daemon", "ctl", "nvme-helper", "scripts", "test"],
      "the engine binding imports nothing of ours above it (DESIGN §6)."),
  },
);
