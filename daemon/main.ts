#!/usr/bin/env node
// ntd: the ntransformer daemon. Runs in the foreground (systemd supervises it); all the work is
// in DaemonServer, this file only composes the configuration, logger, server and systemd
// notifier, and wires up signals.
import { NtError } from "../protocol/NtError.js";
import { packageVersion } from "../protocol/packageVersion.js";
import { PROTOCOL_VERSION } from "../protocol/protocolVersion.js";
import { LiveConfig } from "./config/LiveConfig.js";
import { parseDaemonArgs } from "./config/parseDaemonArgs.js";
import { DaemonServer } from "./DaemonServer.js";
import { chooseLogFormat, createLogger } from "./logging.js";
import { calibrationCachePath } from "./models/calibrationCachePath.js";
import { HelperImageSource } from "./storage/HelperImageSource.js";
import { startHttpServer, type HttpServerHandle } from "./http/startHttpServer.js";
import { ntdMetrics } from "./metrics/ntdMetrics.js";
import { applySocketGroup } from "./service/applySocketGroup.js";
import { ServiceNotifier } from "./service/ServiceNotifier.js";

/** sysexits.h EX_CONFIG; ntd.service's RestartPreventExitStatus=78 stops a restart loop on a bad file. */
const EXIT_BAD_CONFIG = 78;

const { configPath, flags } = await parseDaemonArgs(process.argv);
const config = await LiveConfig.load({ configPath, flags }).catch((err: unknown) => {
  const error = NtError.from(err);
  process.stderr.write(`ntd: bad configuration: ${error.message} [${error.code}]\n`);
  process.exit(EXIT_BAD_CONFIG);
});
const { socket, socketMode, socketGroup, logLevel, logFormat, http, socketFrameTimeout, socketBufferLimit } = config.current;
const logger = createLogger({ level: logLevel, format: chooseLogFormat(logFormat) });
config.logger = logger;
/**
 * The configuration keys the model registry takes (and re-applies on SIGHUP), under the
 * registry's names. 0 threads or context size, and "auto" budgets, mean "the engine's default":
 * absent for the registry.
 */
const modelLimits = (c: typeof config.current) => ({
  defaultKeepAlive: c.keepAlive, maxLoadedModels: c.maxLoadedModels, maxQueue: c.queueLimit,
  defaultLoad: {
    threads: c.threads || undefined, nCtx: c.contextSize || undefined, backend: c.backend,
    vramBudget: c.vramBudget === "auto" ? undefined : c.vramBudget,
    pinnedBudget: c.pinnedBudget === "auto" ? undefined : c.pinnedBudget,
    dualPath: c.dualPath,
    chatTemplate: c.chatTemplate || undefined,
    kvType: c.kvType,
  },
});
// Read at each raw or vfio load, so a reloaded helperSocket applies to the next one.
const helperImages = new HelperImageSource(() => config.current.helperSocket);
const server = new DaemonServer({
  socketPath: socket, socketMode, logger, frameTimeoutMs: socketFrameTimeout * 1000, frameBufferLimit: socketBufferLimit,
  models: {
    ...modelLimits(config.current), onLoaded: (name, seconds) => ntdMetrics.observeModelLoad(name, seconds),
    rawImages: helperImages,
    dataplanes: helperImages,
    calibrationCache: calibrationCachePath(process.env),
  },
});
config.onChange((current) => {
  logger.level = current.logLevel;
  server.models.configure(modelLimits(current));
});
const notifier = new ServiceNotifier({ logger, models: () => server.models.list() });
/** The OpenAI-compatible HTTP server; none when `http` is "" (a change needs a restart, not SIGHUP). */
let httpServer: HttpServerHandle | undefined;

process.on("SIGHUP", () => {
  logger.info("SIGHUP: reloading the configuration");
  config.reload().catch(() => {}); // Logged by reload(); the daemon keeps its configuration.
});
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    logger.info(`${signal}: stopping`);
    void notifier.stopping();
    // stop() cancels the requests in flight (clients get NT_E_CANCELLED), unloads the models and
    // closes the socket; the process then normally exits by itself (status 0). The timer, unref'd
    // so it never delays that, ends it anyway should the engine addon still hold the event loop.
    // HTTP closes after the socket server: its streams first get the stop's error event, not a cut.
    server.stop().then(() => httpServer?.close()).catch((err: unknown) => {
      logger.error(`stopping failed: ${NtError.from(err).message}`);
      process.exitCode = 1;
    }).finally(() => {
      notifier.dispose();
      setTimeout(() => process.exit(), 2000).unref();
    });
  });
}

try {
  await server.start();
  await applySocketGroup(socket, socketGroup, logger);
  if (http !== "") {
    // Fatal when it cannot listen (a taken port: a second ntd on 11435): a daemon asked to serve
    // HTTP that silently serves none fails its clients later and far from the cause. This runs
    // before READY=1, so under systemd the start fails. The key and the allowed hosts and
    // origins are read per request, so SIGHUP applies them without a restart.
    httpServer = await startHttpServer({
      registry: server.models, logger, listen: http, apiKey: () => config.current.httpApiKey,
      allowedHosts: () => config.current.httpAllowedHosts, allowedOrigins: () => config.current.httpAllowedOrigins,
    });
    logger.info(`OpenAI-compatible HTTP API on ${httpServer.url}`
      + `${config.current.httpApiKey ? " (API key required)" : ""}`);
  }
  logger.info(`ntd ${packageVersion()} (protocol ${PROTOCOL_VERSION}, pid ${process.pid}) listening on ${socket}`);
  await notifier.ready();
} catch (err) {
  const error = NtError.from(err);
  logger.error(`cannot start: ${error.message} [${error.code}]`);
  process.exitCode = 1;
  notifier.dispose();
  await server.stop();
  await httpServer?.close();
}
