import { isAddress } from '@solana/kit';
import { ValidateBy, type ValidationOptions } from 'class-validator';

/** A base58 Solana address (32-byte public key), checked with @solana/kit's `isAddress`. */
export function IsSolanaAddress(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isSolanaAddress',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && isAddress(value),
        defaultMessage: (args) => `${args?.property ?? 'value'} must be a base58 Solana address`,
      },
    },
    options,
  );
}
