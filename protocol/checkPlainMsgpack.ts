/**
 * Throws unless `body` is exactly one value of plain MessagePack: nil, booleans, integers, floats,
 * strings, binary, arrays and maps — no extension type (0xc7–0xc9, 0xd4–0xd8) and not the
 * never-used byte 0xc1. msgpackr, which decodes the frames, has no option to turn extensions off:
 * it turns ext 0 into undefined, -1 into a Date, 0x42 into a bigint, 0x72 into a record
 * definition that changes how later bytes decode, and more. So the bytes are walked here first,
 * and a message any plain MessagePack library could have written is all that reaches msgpackr.
 * The walk keeps only a count of values still due (no recursion), so nesting costs no stack.
 */
export function checkPlainMsgpack(body: Uint8Array): void {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  let position = 0;
  /** Values still to read: the message itself, then the items of every array and map opened. */
  let due = 1;
  /** Moves past `bytes` bytes of a value's payload, which must be there. */
  const skip = (bytes: number) => {
    if (bytes > body.length - position) throw new Error(`the value at byte ${position} runs past the end of the message`);
    position += bytes;
  };
  /** Reads a big-endian length of `size` bytes (1, 2 or 4). */
  const length = (size: 1 | 2 | 4) => {
    const at = position;
    skip(size);
    return size === 1 ? view.getUint8(at) : size === 2 ? view.getUint16(at) : view.getUint32(at);
  };
  while (due > 0) {
    // Every value takes at least one byte: more values due than bytes left is a truncated message.
    if (due > body.length - position) throw new Error(`the message ends with ${due} values still due`);
    due -= 1;
    const token = body[position]!;
    position += 1;
    if (token <= 0x7f || token >= 0xe0 || token === 0xc0 || token === 0xc2 || token === 0xc3) continue;
    if (token <= 0x8f) due += 2 * (token & 0x0f);
    else if (token <= 0x9f) due += token & 0x0f;
    else if (token <= 0xbf) skip(token & 0x1f);
    else if (token === 0xc4 || token === 0xd9) skip(length(1));
    else if (token === 0xc5 || token === 0xda) skip(length(2));
    else if (token === 0xc6 || token === 0xdb) skip(length(4));
    else if (token === 0xca) skip(4);
    else if (token === 0xcb) skip(8);
    else if (token >= 0xcc && token <= 0xd3) skip(1 << (token & 0x03));
    else if (token === 0xdc) due += length(2);
    else if (token === 0xdd) due += length(4);
    else if (token === 0xde) due += 2 * length(2);
    else if (token === 0xdf) due += 2 * length(4);
    else {
      throw new Error(token === 0xc1 ? `byte ${position - 1} is 0xc1, which MessagePack never uses`
        : `byte ${position - 1} starts a MessagePack extension (0x${token.toString(16)}); only plain values are accepted`);
    }
  }
  if (position !== body.length) throw new Error(`${body.length - position} bytes follow the message's one value`);
}
