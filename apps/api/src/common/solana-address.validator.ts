import { toAddress } from '@waiaas/solana-signer';
import { ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * Whether `value` is a base58 Solana address, with @solana/kit's checks (`address()`), through
 * the signer's cache of addresses already decoded: a wallet's recipients and mints come back
 * request after request, and kit's `isAddress` decodes the base58 (a big-integer conversion)
 * every time — 3 % of the API's CPU on the dry run in the benchmark's profile.
 */
function isSolanaAddress(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    toAddress(value);
    return true;
  } catch {
    return false;
  }
}

/** A base58 Solana address (32-byte public key), checked as @solana/kit's `address()` does. */
export function IsSolanaAddress(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isSolanaAddress',
      validator: {
        validate: isSolanaAddress,
        defaultMessage: (args) => `${args?.property ?? 'value'} must be a base58 Solana address`,
      },
    },
    options,
  );
}
