import type { ModelInfo } from "../../protocol/verbs/modelInfo.js";
import { detectChatFormat } from "../chat/detectChatFormat.js";
import type { LoadedModel } from "./LoadedModel.js";

/** A loaded model's facts in wire form: the protocol's fields, copied by name, and its chat format. */
export function modelInfoOf(model: LoadedModel): ModelInfo {
  const i = model.info;
  const detection = i.chatTemplate ? detectChatFormat(i.chatTemplate) : undefined;
  return {
    architecture: i.architecture, nVocab: i.nVocab, nCtx: i.nCtx, nCtxTrain: i.nCtxTrain, nEmbd: i.nEmbd,
    nLayer: i.nLayer, nHead: i.nHead, nHeadKv: i.nHeadKv, nFf: i.nFf, threads: i.threads,
    weightBytes: i.weightBytes, kvBytesPerSequence: i.kvBytesPerSequence, bos: i.bos, eos: i.eos,
    chatFormat: detection?.supported ? detection.format : undefined,
    backend: model.backend,
    placement: model.placement,
  };
}
