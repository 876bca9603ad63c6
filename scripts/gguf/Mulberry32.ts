/**
 * A small seeded PRNG (Tommy Ettinger's mulberry32): 32 bits of state, one u32 per step, fast
 * in V8 because it stays in int32 arithmetic. Not cryptographic; its period (2^32 outputs) is
 * plenty for random weights since each tensor gets its own seed. Same seed, same sequence on
 * every platform.
 */
export class Mulberry32 {
  private state: number;

  /** `seed` is taken modulo 2^32. */
  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** The next u32. */
  nextU32(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** The next float uniform in [0, 1), with 32 random bits. */
  nextFloat(): number {
    return this.nextU32() / 2 ** 32;
  }

  /** Fills `target` with the next u32s, in order. */
  fill(target: Uint32Array): void {
    for (let i = 0; i < target.length; i++) target[i] = this.nextU32();
  }
}
