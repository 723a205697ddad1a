import { type Address, type ReadonlyUint8Array, getAddressEncoder } from '@solana/kit';
import { LRUCache } from 'lru-cache';

/**
 * The 32 bytes of the base58 strings validated lately. kit checks an address by decoding its
 * base58 (a big-integer conversion, done twice per call: once to size, once to write), and a
 * transfer used to decode the same wallet, recipient and program addresses again and again:
 * in the engine, in kit's `address()`, and in kit's message encoder. A wallet's address never
 * changes, so decoding it once is enough.
 */
const bytesByText = new LRUCache<string, ReadonlyUint8Array>({ max: 10_000 });
const addressEncoder = getAddressEncoder();

/**
 * The 32 bytes of a base58 address (or of a blockhash: the same format), decoded once per
 * string. Throws kit's `SolanaError` for a string that is not one, exactly like kit's
 * `address()`. The returned bytes are shared: never write to them.
 *
 * @example
 * ```ts
 * addressBytes('11111111111111111111111111111111'); // 32 zero bytes
 * ```
 */
export function addressBytes(text: string): ReadonlyUint8Array {
  let bytes = bytesByText.get(text);
  if (bytes === undefined) {
    bytes = addressEncoder.encode(text as Address);
    bytesByText.set(text, bytes);
  }
  return bytes;
}

/**
 * kit's `address()` (the same checks and errors) for strings seen again and again, such as
 * wallet and recipient addresses: a string already validated is not decoded again.
 *
 * @example
 * ```ts
 * const to: Address = toAddress(request.destination);
 * ```
 */
export function toAddress(text: string): Address {
  addressBytes(text);
  return text as Address;
}
