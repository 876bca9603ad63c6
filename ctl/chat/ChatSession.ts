import readline from "node:readline";
import type { ChatMessage } from "../../protocol/verbs/chatMessage.js";
import { generationJson } from "../generate/generationOutput.js";
import { samplingParamsFrom, type SamplingArgs } from "../generate/samplingOptions.js";
import type { NtClient } from "../NtClient.js";

/** Lines that end the conversation, as Ollama's REPL knows them. */
const EXIT_COMMANDS = new Set(["/exit", "/bye", "/quit"]);

/** Options of a ChatSession. */
export interface ChatSessionOptions {
  /** The loaded model's name. Required. */
  model: string;
  /** Sampling options sent with every turn. Default: none (the engine's defaults). */
  sampling?: SamplingArgs;
  /** A system message that opens the conversation. Default: none. */
  system?: string;
  /** Print each answer as one JSON line instead of streaming its text. Default false. */
  json?: boolean;
  /** Prompt with ">>> " and let Ctrl-C cancel one answer (stdin is a terminal). Default false. */
  interactive?: boolean;
  /** The keep-alive sent with every turn ("10m", "0", "-1"). Default: none (the model's keep-alive stays). */
  keepAlive?: string;
}

/**
 * One conversation on stdin/stdout: reads user lines, asks the daemon for each answer, streams it,
 * keeps the history. On a terminal, Ctrl-C cancels the answer being generated, or at the prompt ends
 * the chat (exit status 130); `/exit`, `/bye` or Ctrl-D end it. Without a terminal every line is one
 * message, and the chat ends with the input (or at Ctrl-C, 130).
 */
export class ChatSession {
  readonly #client: NtClient;
  readonly #model: string;
  readonly #sampling: SamplingArgs;
  readonly #keepAlive: string | undefined;
  readonly #json: boolean;
  readonly #interactive: boolean;
  readonly #messages: ChatMessage[] = [];
  /** Cancels the answer being generated; undefined at the prompt. */
  #answering: AbortController | undefined;

  constructor(client: NtClient, options: ChatSessionOptions) {
    this.#client = client;
    this.#model = options.model;
    this.#sampling = options.sampling ?? {};
    this.#keepAlive = options.keepAlive;
    this.#json = options.json ?? false;
    this.#interactive = options.interactive ?? false;
    if (options.system !== undefined) this.#messages.push({ role: "system", content: options.system });
  }

  /** Runs the conversation until the input ends or the user leaves. */
  async run(): Promise<void> {
    const lines = readline.createInterface({
      input: process.stdin, output: this.#interactive ? process.stdout : undefined, terminal: this.#interactive,
    });
    // On a terminal readline takes Ctrl-C as a key; without one it arrives as the process signal.
    const onInterrupt = () => this.#interrupt(lines);
    lines.on("SIGINT", onInterrupt);
    process.on("SIGINT", onInterrupt);
    let exitCommand = false;
    try {
      lines.setPrompt(">>> ");
      if (this.#interactive) lines.prompt();
      for await (const line of lines) {
        const text = line.trim();
        exitCommand = EXIT_COMMANDS.has(text);
        if (exitCommand) break;
        if (text !== "") await this.#answer(line);
        if (this.#interactive) lines.prompt();
      }
      // Ctrl-D or Ctrl-C left the cursor after the prompt; the shell's prompt belongs on a line of its own.
      if (this.#interactive && !exitCommand) process.stdout.write("\n");
    } finally {
      process.off("SIGINT", onInterrupt);
      lines.close();
    }
  }

  /** Ctrl-C: cancels the answer being generated; at an idle prompt (or without a terminal) ends the chat. */
  #interrupt(lines: readline.Interface): void {
    if (this.#answering && this.#interactive) return this.#answering.abort();
    this.#answering?.abort();
    process.exitCode = 130;
    lines.close();
  }

  /** Asks for the answer to one user message and streams it; a cancelled answer leaves no trace in the history. */
  async #answer(content: string): Promise<void> {
    this.#messages.push({ role: "user", content });
    const controller = new AbortController();
    this.#answering = controller;
    try {
      const result = await this.#client.request("chat", {
        model: this.#model, messages: this.#messages, keepAlive: this.#keepAlive, ...samplingParamsFrom(this.#sampling),
      }, {
        signal: controller.signal,
        onEvent: (event) => {
          if (!this.#json && event.type !== "progress") process.stdout.write(event.text);
        },
      });
      this.#messages.push({ role: "assistant", content: result.text });
      process.stdout.write(this.#json ? `${JSON.stringify(generationJson(this.#model, result))}\n` : "\n");
      if (this.#interactive && !this.#json) process.stdout.write("\n");
    } catch (err) {
      this.#messages.pop();
      if (!controller.signal.aborted) throw err;
      if (!this.#json) process.stdout.write("\n");
    } finally {
      this.#answering = undefined;
    }
  }
}
