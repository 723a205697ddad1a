/**
 * A seedable PRNG (mulberry32) so fault injection is reproducible run to run. Written here
 * rather than pulled in: it is six lines, it only decides which requests a fault hits, and
 * Math.random cannot be seeded.
 */
export function createPrng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
