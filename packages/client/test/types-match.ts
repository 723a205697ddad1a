/**
 * Compile-time check (run by `pnpm typecheck`): each of the client's hand-written wire types
 * and the type openapi-typescript generates from the served document for the same schema are
 * assignable both ways, so a field whose type or nullability differs fails the build.
 * `test/openapi.test.ts` keeps `openapi-types.gen.ts` equal to what the served document generates.
 */
import type {
  Agent,
  AgentKey,
  AssetSpend,
  Balance,
  ConsoleSession,
  ConsoleSettings,
  DaySpend,
  Freeze,
  Grant,
  Owner,
  Policy,
  Transaction,
  Wallet,
  WalletSpend,
  Webhook,
  WebhookDelivery,
} from '../src/index.js';
import type { components } from './openapi-types.gen.js';

type Schema<N extends keyof components['schemas']> = components['schemas'][N];
/** `true` only when A and B are assignable to each other. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;

export type Checks = [
  Assert<Same<Owner, Schema<'OwnerDto'>>>,
  Assert<Same<Agent, Schema<'AgentDto'>>>,
  Assert<Same<AgentKey, Schema<'AgentKeyDto'>>>,
  Assert<Same<Wallet, Schema<'WalletDto'>>>,
  Assert<Same<Freeze, Schema<'FreezeDto'>>>,
  Assert<Same<Grant, Schema<'GrantDto'>>>,
  Assert<Same<Balance, Schema<'BalanceDto'>>>,
  Assert<Same<Policy, Schema<'PolicyDto'>>>,
  Assert<Same<Transaction, Schema<'TransactionDto'>>>,
  Assert<Same<Webhook, Schema<'WebhookDto'>>>,
  Assert<Same<WalletSpend, Schema<'WalletSpendDto'>>>,
  Assert<Same<AssetSpend, Schema<'AssetSpendDto'>>>,
  Assert<Same<DaySpend, Schema<'DaySpendDto'>>>,
  Assert<Same<WebhookDelivery, Schema<'WebhookDeliveryDto'>>>,
  Assert<Same<ConsoleSession, Schema<'ConsoleSessionDto'>>>,
  Assert<Same<ConsoleSettings, Schema<'ConsoleSettingsDto'>>>,
];
