import type { VerbName } from "../../protocol/verbs.js";
import { handleCancelAll } from "./handleCancelAll.js";
import { handleChat } from "./handleChat.js";
import { handleDetokenize } from "./handleDetokenize.js";
import { handleGenerate } from "./handleGenerate.js";
import { handleLoad } from "./handleLoad.js";
import { handlePing } from "./handlePing.js";
import { handleStatus } from "./handleStatus.js";
import { handleTokenize } from "./handleTokenize.js";
import { handleUnload } from "./handleUnload.js";
import { handleVersion } from "./handleVersion.js";
import type { VerbHandler } from "./VerbHandler.js";

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
