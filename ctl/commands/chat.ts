import type { Argv, CommandModule } from "yargs";
import { NtError } from "../../protocol/NtError.js";
import { samplingParamsSchema } from "../../protocol/verbs/samplingParams.js";
import { ChatSession } from "../chat/ChatSession.js";
import { checkFlags } from "../checkFlags.js";
import { samplingOptions, samplingParamsFrom, type SamplingArgs } from "../generate/samplingOptions.js";
import type { GlobalArgs } from "../GlobalArgs.js";
import { loadOptions, loadOptionsOf, type LoadArgs } from "../model/loadFlags.js";
import { loadModel } from "../model/loadModel.js";
import { NtClient } from "../NtClient.js";

interface ChatArgs extends GlobalArgs, SamplingArgs, LoadArgs {
  model: string;
  system?: string;
}

/**
 * `ntctl chat <model>`: a conversation, one user message per line, each answer streamed as it is
 * generated (see ChatSession); the daemon applies the model's chat template. With stdin not a
 * terminal every line is one message, so a conversation can be piped in.
 */
export const chatCommand: CommandModule<GlobalArgs, ChatArgs> = {
  command: "chat <model>",
  describe: "Chat with a model interactively (one message per line; /exit or Ctrl-D ends)",
  builder: (yargs) => (yargs as Argv<GlobalArgs>)
    .positional("model", { type: "string", demandOption: true, describe: "A .gguf file, or the name of a loaded model" })
    .option("system", { type: "string", describe: "A system message that opens the conversation" })
    .options(samplingOptions)
    .options(loadOptions) as Argv<ChatArgs>,
  handler: async (argv) => {
    // Checked here, before the load, so a bad sampling flag is named as written (-n, not maxTokens).
    checkFlags(samplingParamsSchema, samplingParamsFrom(argv));
    const client = await NtClient.connect({ socketPath: argv.socket });
    try {
      const interactive = process.stdin.isTTY === true;
      const model = await loadModel(client, argv.model, {
        load: loadOptionsOf(argv), showProgress: !argv.json && process.stderr.isTTY,
      });
      if (model.info.chatFormat === undefined) {
        throw new NtError("NT_E_UNSUPPORTED", `model ${model.name} has no chat template ntd can apply `
          + `(tokenizer.chat_template missing, or of an unsupported family); use "ntctl run" with a plain prompt`);
      }
      await new ChatSession(client, {
        // The keep-alive goes with each turn, not the load: "--keep-alive 0" would unload the model
        // between the load and the first turn.
        model: model.name, sampling: argv, system: argv.system, json: argv.json, interactive, keepAlive: argv.keepAlive,
      }).run();
    } finally {
      client.close();
    }
  },
};
