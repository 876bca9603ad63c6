import { performance } from "node:perf_hooks";
import { packageVersion } from "../../protocol/packageVersion.js";
import { PROTOCOL_VERSION } from "../../protocol/protocolVersion.js";
import type { EngineBuildInfo } from "../../protocol/verbs/engineInfo.js";
import type { VerbName } from "../../protocol/verbs.js";
import { engineBuildInfo } from "../engineReport.js";
import { engineReport } from "../engineReport.js";
import { runGeneration } from "../generation/runGeneration.js";
import { modelInfoOf } from "../models/wireForms.js";
import { handleChat } from "./handleChat.js";
import { percentProgress } from "./percentProgress.js";
import { splitLoadOptions } from "./splitLoadOptions.js";
import type { VerbHandler } from "./VerbHandler.js";

// The handlers of ntd.sock's verbs, each a few lines over the model registry (`chat`, which
// applies the chat templates, has its own file). The table at the end lists them all.

/** `ping`: answers at once, with the daemon's clock. */
const handlePing: VerbHandler<"ping"> = () => ({ pong: true, time: Date.now() });

/** `version`: the daemon's, protocol's, Node's and engine's versions; engine null when it cannot load. */
const handleVersion: VerbHandler<"version"> = (_params, context) => {
  let engine: EngineBuildInfo | null = null;
  try {
    engine = engineBuildInfo(context.loadEngine());
  } catch {
    // `version` only reports what is there; `status` carries the reason the engine is missing.
  }
  return { daemon: packageVersion(), protocol: PROTOCOL_VERSION, node: process.version, engine };
};

/** `status`: the daemon's identity and uptime, its models and the engine's devices. */
const handleStatus: VerbHandler<"status"> = (_params, context) => ({
  state: "ready",
  pid: process.pid,
  uptimeSeconds: Math.max(0, (performance.now() - context.startedAtMs) / 1000),
  socket: context.socketPath,
  version: packageVersion(),
  models: context.models.list(),
  engine: engineReport(context.loadEngine),
});

/**
 * `load`: loads a model with the options asked for (or finds it loaded, taking the keep-alive
 * given), sending a progress event each time another whole percent of its weights has been read.
 * The request's options go to the registry as they came.
 */
const handleLoad: VerbHandler<"load"> = async ({ model: reference, ...options }, context, signal, emit) => {
  const model = await context.models.load(reference, { ...options, signal, onProgress: percentProgress(emit) });
  return { name: model.name, path: model.path, info: modelInfoOf(model) };
};

/** `unload`: frees a model once its requests in flight have been cancelled. */
const handleUnload: VerbHandler<"unload"> = async (params, context) =>
  ({ name: await context.models.unload(params.model) });

/**
 * `generate`: loads the model first when given a path the daemon does not hold, or reloads it when
 * its load options differ from those given (streaming progress), tokenizes the prompt in the daemon (BOS added by default, as the model's metadata
 * asks) or takes token ids as given, then streams the generation.
 */
const handleGenerate: VerbHandler<"generate"> = async (params, context, signal, emit) => {
  const [load, { model: reference, prompt, tokens, addSpecial = true, parseSpecial = false, keepAlive, ...sampling }] = splitLoadOptions(params);
  const model = await context.models.get(reference, signal, { keepAlive, load, autoLoad: true, onProgress: percentProgress(emit) });
  const promptTokens = tokens ?? model.tokenize(prompt ?? "", addSpecial, parseSpecial);
  return { model: model.name, ...await runGeneration(model, promptTokens, sampling, signal, emit) };
};

/** `tokenize`: text → token ids; BOS added by default, special-token texts left as text by default. */
const handleTokenize: VerbHandler<"tokenize"> = async (params, context, signal) => {
  const model = await context.models.get(params.model, signal);
  return { tokens: model.tokenize(params.text, params.addSpecial ?? true, params.parseSpecial ?? false) };
};

/** `detokenize`: token ids → text; ids outside the vocabulary are refused. */
const handleDetokenize: VerbHandler<"detokenize"> = async (params, context, signal) => {
  const model = await context.models.get(params.model, signal);
  return { text: model.detokenize(params.tokens) };
};

/** `cancelAll`: cancels every generation in flight on one model, from every client; the model stays loaded. */
const handleCancelAll: VerbHandler<"cancelAll"> = (params, context) => context.models.cancelAll(params.model);

/** The handler of every verb; the mapped type makes a verb added to VERBS without a handler a compile error. */
export const verbHandlers: { readonly [V in VerbName]: VerbHandler<V> } = {
  ping: handlePing,
  version: handleVersion,
  status: handleStatus,
  load: handleLoad,
  unload: handleUnload,
  generate: handleGenerate,
  chat: handleChat,
  tokenize: handleTokenize,
  detokenize: handleDetokenize,
  cancelAll: handleCancelAll,
};
