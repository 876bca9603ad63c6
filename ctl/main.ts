#!/usr/bin/env node
// ntctl: the command-line client of ntd. Every command is one module in commands/ (see
// commandList.ts); this file declares the global options and turns errors into exit statuses.
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { NtError } from "../protocol/NtError.js";
import { packageVersion } from "../protocol/packageVersion.js";
import { defaultSocketPath } from "../protocol/transport.js";
import { commandList } from "./commandList.js";
import { reportError } from "./reportError.js";

const args = hideBin(process.argv);

try {
  await yargs(args)
    .scriptName("ntctl")
    .usage("$0 <command> [options]")
    .option("socket", {
      type: "string",
      default: defaultSocketPath(),
      describe: "The daemon's Unix socket (default: $NT_SOCKET, else /run/ntd/ntd.sock)",
      global: true,
    })
    .option("json", { type: "boolean", default: false, describe: "Print results and errors as JSON on stdout", global: true })
    .command([...commandList])
    .demandCommand(1, "name a command")
    .recommendCommands()
    .strict()
    .version(packageVersion())
    .help()
    // Usage mistakes become NT_E_BAD_REQUEST, so they print and exit (2) like any other error.
    // yargs rethrows an option's coerce error as a YError carrying only the message (a bad --vram-budget).
    .fail((message, err) => {
      if (err?.name === "YError") throw new NtError("NT_E_BAD_REQUEST", err.message);
      throw err ?? new NtError("NT_E_BAD_REQUEST", `${message} (see "ntctl --help")`);
    })
    .parseAsync();
} catch (err) {
  // The parse may have failed before --json was read, so look for it in the raw arguments.
  process.exitCode = reportError(err, args.includes("--json"));
}
