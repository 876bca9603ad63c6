import type { Argv, CommandModule } from "yargs";
import { NtError } from "../../protocol/NtError.js";
import { VERBS } from "../../protocol/verbs.js";
import { checkFlags } from "../checkFlags.js";
import { formatTimings, generationJson } from "../generate/generationOutput.js";
import { samplingOptions, samplingParamsFrom, type SamplingArgs } from "../generate/samplingOptions.js";
import type { GlobalArgs } from "../GlobalArgs.js";
import { loadOptions, loadOptionsOf, type LoadArgs } from "../model/loadFlags.js";
import { loadProgressBar } from "../model/loadProgressBar.js";
import { toModelReference } from "../model/toModelReference.js";
import { NtClient } from "../NtClient.js";
import { reportError } from "../reportError.js";

interface RunArgs extends GlobalArgs, SamplingArgs, LoadArgs {
  model: string;
  prompt?: string;
  verbose: boolean;
}

/**
 * `ntctl run <model> [prompt]`: prints the continuation of the prompt as it is generated, in one
 * `generate` request that also loads the model (or reloads it with other load flags) as needed. Ctrl-C cancels the request in the
 * daemon and exits 130.
 */
export const runCommand: CommandModule<GlobalArgs, RunArgs> = {
  command: "run <model> [prompt]",
  describe: "Generate text from a prompt (argument, or stdin when piped), streaming it to stdout",
  builder: (yargs) => (yargs as Argv<GlobalArgs>)
    .positional("model", { type: "string", demandOption: true, describe: "A .gguf file, or the name of a loaded model" })
    .positional("prompt", { type: "string", describe: "The prompt; default: stdin (one trailing newline dropped) when it is not a terminal" })
    .options(samplingOptions)
    .options(loadOptions)
    .option("verbose", { type: "boolean", default: false, describe: "Print timings to stderr at the end" }) as Argv<RunArgs>,
  handler: async (argv) => {
    const prompt = await promptOf(argv.prompt);
    const params = {
      model: toModelReference(argv.model), prompt, keepAlive: argv.keepAlive, ...loadOptionsOf(argv), ...samplingParamsFrom(argv),
    };
    checkFlags(VERBS.generate.params, params);
    // Listening before connecting: a Ctrl-C at any point from here on cancels cleanly (the
    // requests are then sent and cancelled at once) instead of killing ntctl mid-request.
    const interrupt = interruptSignal();
    const client = await NtClient.connect({ socketPath: argv.socket }).catch((err: unknown) => {
      interrupt.dispose();
      throw err;
    });
    let printedText = false;
    const bar = !argv.json && process.stderr.isTTY ? loadProgressBar(argv.model) : undefined;
    try {
      // One round trip: the daemon loads the model (or reloads it when the load flags differ from
      // its load) before generating, streaming the load's progress first.
      const result = await client.request("generate", params, {
        signal: interrupt.signal,
        // One write per event: the text appears as it is generated (writes to pipes and files are synchronous).
        onEvent: (event) => {
          if (event.type === "progress") return bar?.update(event.done, event.total);
          bar?.stop();
          if (argv.json || event.text === "") return;
          process.stdout.write(event.text);
          printedText = true;
        },
      });
      bar?.stop();
      process.stdout.write(argv.json ? `${JSON.stringify(generationJson(result.model, result))}\n` : "\n");
      if (argv.verbose) process.stderr.write(`${formatTimings(result.timings)}\n`);
    } catch (err) {
      if (!interrupt.signal.aborted) throw err;
      // Ctrl-C: the daemon has cancelled the request; end the partial line and exit as shells expect.
      if (printedText) process.stdout.write("\n");
      reportError(err, argv.json);
      process.exitCode = 130;
    } finally {
      bar?.stop();
      interrupt.dispose();
      client.close();
    }
  },
};

/** The prompt argument, else stdin when it is piped; a terminal would wait for input nobody expects to type. */
async function promptOf(argument: string | undefined): Promise<string> {
  if (argument !== undefined) return argument;
  if (process.stdin.isTTY) {
    throw new NtError("NT_E_BAD_REQUEST", 'no prompt: give one after the model, or pipe it in (echo "..." | ntctl run MODEL)');
  }
  return (await readStdin()).replace(/\r?\n$/, "");
}

/** All of stdin as UTF-8 text. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** What interruptSignal returns. */
interface InterruptSignal {
  /** Aborts on the first SIGINT (Ctrl-C). */
  signal: AbortSignal;
  /** Stops listening; a later Ctrl-C ends the process as usual. */
  dispose(): void;
}

/**
 * Turns the first Ctrl-C into an abort, so a command can cancel its request in the daemon and exit
 * 130 (128 + SIGINT, as shells report it) instead of dying with the request still running. A second
 * Ctrl-C, once this one is handled, ends the process as usual.
 */
function interruptSignal(): InterruptSignal {
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once("SIGINT", onSigint);
  return { signal: controller.signal, dispose: () => process.off("SIGINT", onSigint) };
}
