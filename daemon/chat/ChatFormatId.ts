// The list lives in the protocol, where the `chatTemplate` load option and ntctl's
// --chat-template flag check names against it; the chat formats here implement each.
export { CHAT_FORMAT_IDS, type ChatFormatId } from "../../protocol/verbs/chatFormats.js";
