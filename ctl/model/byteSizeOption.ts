import { NtError } from "../../protocol/NtError.js";
import { parseByteSize } from "../../protocol/parseByteSize.js";

/**
 * A yargs coerce function for a size flag: "24GiB", "512MiB", "1.5GB" or bytes → bytes. A bad
 * size is a usage error (NT_E_BAD_REQUEST, exit 2) naming the flag. Repeating the flag keeps the last.
 */
export function byteSizeOption(flag: string): (value: string | string[]) => number {
  return (value) => {
    const last = [value].flat().at(-1) ?? "";
    try {
      return parseByteSize(last, flag);
    } catch (err) {
      throw new NtError("NT_E_BAD_REQUEST", `${NtError.from(err).message} (see "ntctl --help")`);
    }
  };
}
