import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NtError } from "../protocol/NtError.js";
import { parseByteSize } from "../protocol/parseByteSize.js";

/** The NtError parseByteSize throws for `value` (fails the test if it returns). */
function refusal(value: string | number, what?: string): NtError {
  try {
    parseByteSize(value, what);
  } catch (err) {
    assert.ok(err instanceof NtError, String(err));
    return err;
  }
  assert.fail(`${String(value)} was accepted`);
}

describe("parseByteSize", () => {
  it("reads binary units as powers of 1024, in any case and with or without a space", () => {
    assert.equal(parseByteSize("1KiB"), 1024);
    assert.equal(parseByteSize("512MiB"), 512 * 2 ** 20);
    assert.equal(parseByteSize("24GiB"), 24 * 2 ** 30);
    assert.equal(parseByteSize("2 TiB"), 2 * 2 ** 40);
    assert.equal(parseByteSize("1.5gib"), 1.5 * 2 ** 30);
  });

  it("reads decimal units as powers of 1000", () => {
    assert.equal(parseByteSize("1KB"), 1000);
    assert.equal(parseByteSize("250MB"), 250e6);
    assert.equal(parseByteSize("1.5GB"), 1.5e9);
    assert.equal(parseByteSize("4TB"), 4e12);
  });

  it("takes plain bytes as a number, a digit string or with B, and rounds a unit's fraction down", () => {
    assert.equal(parseByteSize(4096), 4096);
    assert.equal(parseByteSize("4096"), 4096);
    assert.equal(parseByteSize(" 4096 B "), 4096);
    assert.equal(parseByteSize(0), 0);
    assert.equal(parseByteSize("0GiB"), 0);
    assert.equal(parseByteSize("1.0001KB"), 1000, "a budget must not be exceeded, so fractions go down");
    assert.equal(parseByteSize(Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER);
  });

  it("refuses negative sizes, as numbers and as text", () => {
    for (const value of [-1, "-1", "-2GiB", -0.5]) {
      const error = refusal(value, "--vram-budget");
      assert.equal(error.code, "NT_E_BAD_REQUEST");
      assert.match(error.message, /--vram-budget must not be negative/);
    }
  });

  it("refuses garbage, naming the value and the units it takes", () => {
    for (const value of ["", "abc", "GiB", "1.2.3GB", "12 GiBs", "1e9", "0x100", "1,5GB", "5 gigabytes", "1.5", "1.5 B"]) {
      const error = refusal(value, "vramBudget");
      assert.equal(error.code, "NT_E_BAD_REQUEST", value);
      assert.match(error.message, /^vramBudget /, value);
    }
    assert.match(refusal("abc").message, /KiB, MiB, GiB, TiB .* KB, MB, GB, TB/);
    assert.equal(refusal(Number.NaN).code, "NT_E_BAD_REQUEST");
    assert.match(refusal(1.5).message, /whole number of bytes/);
  });

  it("refuses sizes beyond 2^53 - 1 bytes with a message that says why", () => {
    for (const value of [2 ** 53, "8192TiB", "99999999999999999999", Number.POSITIVE_INFINITY, "10000TB"]) {
      const error = refusal(value, "pinnedBudget");
      assert.equal(error.code, "NT_E_BAD_REQUEST", String(value));
      assert.match(error.message, /pinnedBudget .* too large: sizes stop at 2\^53 - 1 bytes/, String(value));
    }
    assert.equal(parseByteSize("8191TiB"), 8191 * 2 ** 40, "just below the limit");
  });
});
