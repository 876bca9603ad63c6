import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { applyChatFormat } from "../daemon/chat/applyChatFormat.js";
import { chatFormatOf } from "../daemon/chat/chatFormatOf.js";
import { detectChatFormat } from "../daemon/chat/detectChatFormat.js";
import { trimAsciiSpace } from "../daemon/chat/trimAsciiSpace.js";
import { NtError } from "../protocol/NtError.js";
import type { ChatMessage } from "../protocol/verbs/chatMessage.js";

// The oracle: llama.cpp's tests/test-chat-template.cpp, its conversation, its templates (as found
// in the models' tokenizer_config.json) and the prompts llm_chat_apply_template must produce for
// them. The padded assistant answer shows which formats trim.
const conversation: ChatMessage[] = [
  { role: "system", content: "You are a helpful assistant" },
  { role: "user", content: "Hello" },
  { role: "assistant", content: "Hi there" },
  { role: "user", content: "Who are you" },
  { role: "assistant", content: "   I am an assistant   " },
  { role: "user", content: "Another question" },
];

interface Case { model: string; template: string; format: string; prompt: string }

const cases: Case[] = [
  {
    model: "teknium/OpenHermes-2.5-Mistral-7B (ChatML)",
    template: "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
    format: "chatml",
    prompt: "<|im_start|>system\nYou are a helpful assistant<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\nHi there<|im_end|>\n<|im_start|>user\nWho are you<|im_end|>\n<|im_start|>assistant\n   I am an assistant   <|im_end|>\n<|im_start|>user\nAnother question<|im_end|>\n<|im_start|>assistant\n",
  },
  {
    model: "Meta-Llama-3-8B-Instruct",
    template: "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}",
    format: "llama3",
    prompt: "<|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHi there<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWho are you<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nI am an assistant<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nAnother question<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
  },
  {
    model: "mistralai/Mistral-7B-Instruct-v0.2 (old template, no system prompt: llama.cpp's \"llama2\")",
    template: "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}",
    format: "llama2",
    prompt: "[INST] You are a helpful assistant\nHello [/INST]Hi there</s>[INST] Who are you [/INST]   I am an assistant   </s>[INST] Another question [/INST]",
  },
  {
    model: "a Llama 2 template with a <<SYS>> block",
    template: "{% for message in messages %}{% if message['role'] == 'system' %}{{ '<<SYS>>\\n' + message['content'] + '\\n<</SYS>>\\n\\n' }}{% elif message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% else %}{{ message['content'] + eos_token }}{% endif %}{% endfor %}",
    format: "llama2-sys",
    prompt: "[INST] <<SYS>>\nYou are a helpful assistant\n<</SYS>>\n\nHello [/INST]Hi there</s>[INST] Who are you [/INST]   I am an assistant   </s>[INST] Another question [/INST]",
  },
  {
    model: "TheBloke/FusionNet_34Bx2_MoE-AWQ (Llama 2, BOS inside the history)",
    template: "{%- for idx in range(0, messages|length) -%}\n{%- if messages[idx]['role'] == 'user' -%}\n{%- if idx > 1 -%}\n{{- bos_token + '[INST] ' + messages[idx]['content'] + ' [/INST]' -}}\n{%- else -%}\n{{- messages[idx]['content'] + ' [/INST]' -}}\n{%- endif -%}\n{% elif messages[idx]['role'] == 'system' %}\n{{- '[INST] <<SYS>>\\n' + messages[idx]['content'] + '\\n<</SYS>>\\n\\n' -}}\n{%- elif messages[idx]['role'] == 'assistant' -%}\n{{- ' '  + messages[idx]['content'] + ' ' + eos_token -}}\n{% endif %}\n{% endfor %}",
    format: "llama2-sys-bos",
    prompt: "[INST] <<SYS>>\nYou are a helpful assistant\n<</SYS>>\n\nHello [/INST]Hi there</s><s>[INST] Who are you [/INST]   I am an assistant   </s><s>[INST] Another question [/INST]",
  },
  {
    model: "bofenghuang/vigogne-2-70b-chat (Llama 2, contents stripped)",
    template: "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% elif true == true and not '<<SYS>>' in messages[0]['content'] %}{% set loop_messages = messages %}{% set system_message = 'Vous êtes Vigogne, un assistant IA créé par Zaion Lab. Vous suivez extrêmement bien les instructions. Aidez autant que vous le pouvez.' %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'system' %}{{ '<<SYS>>\\n' + content.strip() + '\\n<</SYS>>\\n\\n' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}",
    format: "llama2-sys-strip",
    prompt: "[INST] <<SYS>>\nYou are a helpful assistant\n<</SYS>>\n\nHello [/INST]Hi there</s>[INST] Who are you [/INST]I am an assistant</s>[INST] Another question [/INST]",
  },
  {
    model: "mistralai/Mistral-7B-Instruct-v0.2 (Mistral's official v1 template)",
    template: "{%- if messages[0]['role'] == 'system' %}\n    {%- set system_message = messages[0]['content'] %}\n    {%- set loop_messages = messages[1:] %}\n{%- else %}\n    {%- set loop_messages = messages %}\n{%- endif %}\n\n{{- bos_token }}\n{%- for message in loop_messages %}\n    {%- if message['role'] == 'user' %}\n        {%- if loop.first and system_message is defined %}\n            {{- ' [INST] ' + system_message + '\\n\\n' + message['content'] + ' [/INST]' }}\n        {%- else %}\n            {{- ' [INST] ' + message['content'] + ' [/INST]' }}\n        {%- endif %}\n    {%- elif message['role'] == 'assistant' %}\n        {{- ' ' + message['content'] + eos_token}}\n    {%- endif %}\n{%- endfor %}\n",
    format: "mistral-v1",
    prompt: " [INST] You are a helpful assistant\n\nHello [/INST] Hi there</s> [INST] Who are you [/INST]    I am an assistant   </s> [INST] Another question [/INST]",
  },
  {
    model: "Mistral-Large-Instruct-2407 (Mistral's v3 template, abridged to its markers)",
    template: "{{- bos_token }}{%- for message in loop_messages %}{%- if message[\"role\"] == \"user\" %}{%- if tools is not none and (message == user_messages[-1]) %}{{- \"[AVAILABLE_TOOLS] [\" }}{%- endif %}{{- \"[INST] \" + message[\"content\"] + \"[/INST]\" }}{%- elif message[\"role\"] == \"assistant\" %}{{- \" \" + message[\"content\"]|trim + eos_token}}{%- endif %}{%- endfor %}",
    format: "mistral-v3",
    prompt: "[INST] You are a helpful assistant\n\nHello[/INST] Hi there</s>[INST] Who are you[/INST] I am an assistant</s>[INST] Another question[/INST]",
  },
  {
    model: "Mistral-Nemo-Instruct-2407 (Mistral's v3-tekken template, abridged to its markers)",
    template: "{{- bos_token }}{%- for message in loop_messages %}{%- if message[\"role\"] == \"user\" %}{%- if tools is not none and (message == user_messages[-1]) %}{{- \"[AVAILABLE_TOOLS][\" }}{%- endif %}{{- \"[INST]\" + message[\"content\"] + \"[/INST]\" }}{%- elif message[\"role\"] == \"assistant\" %}{{- message[\"content\"] + eos_token}}{%- endif %}{%- endfor %}",
    format: "mistral-v3-tekken",
    prompt: "[INST]You are a helpful assistant\n\nHello[/INST]Hi there</s>[INST]Who are you[/INST]   I am an assistant   </s>[INST]Another question[/INST]",
  },
  {
    model: "mistralai/Mistral-Large-Instruct-2411 (Mistral's v7 template)",
    template: "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + '[/INST]' }}{% elif message['role'] == 'system' %}{{ '[SYSTEM_PROMPT] ' + message['content'] + '[/SYSTEM_PROMPT]' }}{% elif message['role'] == 'assistant' %}{{ ' ' + message['content'] + eos_token }}{% else %}{{ raise_exception('Only user, system and assistant roles are supported!') }}{% endif %}{% endfor %}",
    format: "mistral-v7",
    prompt: "[SYSTEM_PROMPT] You are a helpful assistant[/SYSTEM_PROMPT][INST] Hello[/INST] Hi there</s>[INST] Who are you[/INST]    I am an assistant   </s>[INST] Another question[/INST]",
  },
];

describe("chat templates, as llama.cpp detects and applies them", () => {
  for (const c of cases) {
    it(`recognises ${c.model} as ${c.format}`, () => {
      assert.deepEqual(detectChatFormat(c.template), { supported: true, format: c.format });
    });
    it(`formats system + user + assistant + user for ${c.model} exactly as llama.cpp does`, () => {
      assert.equal(applyChatFormat(chatFormatOf("m", c.template), conversation).text, c.prompt);
    });
    it(`puts every message of ${c.model} in a content part of its own, the template's text in marker parts`, () => {
      const segments = applyChatFormat(chatFormatOf("m", c.template), conversation).segments;
      const contents = segments.filter((s) => !s.parseSpecial).map((s) => trimAsciiSpace(s.text));
      assert.deepEqual(contents, conversation.map((m) => trimAsciiSpace(m.content)));
      for (const marker of segments.filter((s) => s.parseSpecial)) {
        for (const { content } of conversation) assert.ok(!marker.text.includes(content.trim()), `${JSON.stringify(marker.text)} holds a message`);
      }
    });
  }

  it("selects a format by its llama.cpp name, as a template that is just the name does there", () => {
    assert.deepEqual(detectChatFormat("llama3"), { supported: true, format: "llama3" });
    assert.deepEqual(detectChatFormat("mistral-v7-tekken"), { supported: true, format: "mistral-v7-tekken" });
  });

  it("formats Mistral v7-tekken without the spaces of v7", () => {
    assert.equal(applyChatFormat("mistral-v7-tekken", conversation.slice(0, 3)).text,
      "[SYSTEM_PROMPT]You are a helpful assistant[/SYSTEM_PROMPT][INST]Hello[/INST]Hi there</s>");
  });

  it("trims only ASCII whitespace, as C's isspace does: a no-break space survives Llama 3's trim", () => {
    const prompt = applyChatFormat("llama3", [{ role: "user", content: "\u00a0hi \t\n" }]).text;
    assert.equal(prompt, "<|start_header_id|>user<|end_header_id|>\n\n\u00a0hi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
  });

  it("names the family of templates llama.cpp knows but ntd cannot apply, even when they mention other markers", () => {
    const phi4 = "{{'<|im_start|>system<|im_sep|>' + message['content'] + '<|im_end|>'}}";
    assert.deepEqual(detectChatFormat(phi4), { supported: false, family: "phi4" });
    const gemma = "{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}";
    assert.deepEqual(detectChatFormat(gemma), { supported: false, family: "gemma" });
    // llama.cpp checks Phi 3's markers before Llama 3's, so this is Phi 3 there and here.
    const mixed = "<|assistant|> <|end|> <|start_header_id|> <|end_header_id|>";
    assert.deepEqual(detectChatFormat(mixed), { supported: false, family: "phi3" });
  });

  it("recognises nothing in a template of no known family", () => {
    assert.deepEqual(detectChatFormat("{{ messages }}"), { supported: false });
  });

  it("refuses an unknown or unsupported template with NT_E_UNSUPPORTED saying which, and how to choose one", () => {
    const refusal = (template: string | undefined) => {
      try {
        chatFormatOf("tiny", template);
      } catch (err) {
        assert.ok(err instanceof NtError);
        return `${err.code}: ${err.message}`;
      }
      return "accepted";
    };
    assert.match(refusal("{{ messages }}"), /^NT_E_UNSUPPORTED: .*does not recognise.*--chat-template NAME/);
    assert.match(refusal("<start_of_turn>"), /^NT_E_UNSUPPORTED: .*gemma family.*--chat-template NAME/);
  });

  it("uses ChatML for a model without a template, as llama-server does", () => {
    assert.equal(chatFormatOf("tiny", undefined), "chatml");
    assert.equal(chatFormatOf("tiny", ""), "chatml");
  });

  it("uses the format the load chose over the file's template, even one ntd cannot apply", () => {
    assert.equal(chatFormatOf("tiny", cases[0]!.template, "mistral-v7"), "mistral-v7");
    assert.equal(chatFormatOf("tiny", "<start_of_turn>", "chatml"), "chatml");
    assert.equal(chatFormatOf("tiny", undefined, "llama3"), "llama3");
  });
});
