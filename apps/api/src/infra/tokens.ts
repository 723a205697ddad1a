/** DI tokens for the infrastructure the app composes (built from the typed config). */
export const PRISMA = Symbol('PRISMA');
export const CACHE = Symbol('CACHE');
export const CACHE_BUNDLE = Symbol('CACHE_BUNDLE');
export const RPC = Symbol('RPC');
export const CUSTODY = Symbol('CUSTODY');
/** `() => number`: the current time in milliseconds (key expiry is judged against it). */
export const CLOCK = Symbol('CLOCK');
