#!/usr/bin/env node
// ntd: the ntransformer daemon. Runs in the foreground (systemd supervises it); all the work is
// in DaemonServer, this file only parses the command line and wires up signals.
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { defaultSocketPath } from "../protocol/defaultSocketPath.js";
import { NtError } from "../protocol/NtError.js";
import { packageVersion } from "../protocol/packageVersion.js";
import { PROTOCOL_VERSION } from "../protocol/protocolVersion.js";
import { createLogger } from "./createLogger.js";
import { DaemonServer } from "./DaemonServer.js";
import { LOG_LEVELS } from "./logLevels.js";

const argv = await yargs(hideBin(process.argv))
  .scriptName("ntd")
  .usage("$0 [options]\n\nServe the ntransformer socket in the foreground.")
  .option("socket", {
    type: "string",
    default: defaultSocketPath(),
    describe: "Unix socket to listen on (default: $NT_SOCKET, else /run/ntd/ntd.sock)",
  })
  .option("log-level", { choices: LOG_LEVELS, default: "info" as const, describe: "Least severe level logged" })
  .strict()
  .version(packageVersion())
  .help()
  .parseAsync();

const logger = createLogger(argv.logLevel);
const server = new DaemonServer({ socketPath: argv.socket, logger });

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    logger.info(`${signal}: stopping`);
    // stop() cancels the requests in flight (clients get NT_E_CANCELLED), unloads the models and
    // closes the socket; the process then normally exits by itself (status 0). The timer, unref'd
    // so it never delays that, ends it anyway should the engine addon still hold the event loop.
    server.stop().catch((err: unknown) => {
      logger.error(`stopping failed: ${NtError.from(err).message}`);
      process.exitCode = 1;
    }).finally(() => setTimeout(() => process.exit(), 2000).unref());
  });
}

try {
  await server.start();
  logger.info(`ntd ${packageVersion()} (protocol ${PROTOCOL_VERSION}, pid ${process.pid}) listening on ${argv.socket}`);
} catch (err) {
  const error = NtError.from(err);
  logger.error(`cannot start: ${error.message} [${error.code}]`);
  process.exitCode = 1;
  await server.stop();
}
