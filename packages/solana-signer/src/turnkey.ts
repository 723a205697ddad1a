/**
 * `@waiaas/solana-signer/turnkey`: key custody in Turnkey through `@turnkey/sdk-server` (an
 * optional peer dependency: install it next to this package to use this entry point). Kept off
 * the package root so that local-keystore users neither install nor load the Turnkey SDK.
 */
export { TurnkeyCustody } from './turnkey.custody.js';
export {
  type TurnkeyConfigInput,
  type TurnkeyCustodyConfig,
  loadTurnkeyConfig,
  validateTurnkeyConfig,
} from './turnkey.config.js';
