import DataLoader from 'dataloader';

export interface BusyBatchOptions {
  /** Batches in flight at once (e.g. the connections the statements run on). */
  slots: number;
  /** Most calls in one batch. */
  maxBatchSize: number;
}

/**
 * Gathers concurrent calls into batches only while the database is busy: a call runs on its
 * own (in the next tick, with any made in the same tick) when fewer than `slots` batches are in
 * flight; otherwise it joins the batch that waits for the next slot to free. So an idle service
 * answers each call as soon as before, and a loaded one sends one statement for many calls
 * (each round trip costs the process and PostgreSQL more than a short statement's own work).
 *
 * Built on DataLoader's batching with a scheduler of our own (its default runs a batch per
 * tick, which under load still sends one statement per request: requests arrive in ticks of
 * their own). `run` answers each key with its value or an Error; a rejected `run` fails every
 * key of its batch.
 *
 * @example
 * ```ts
 * const rows = busyBatch((ids: readonly string[]) => readMany(ids), { slots: 5, maxBatchSize: 64 });
 * const row = await rows.load(id);
 * ```
 */
export function busyBatch<K, V>(
  run: (keys: readonly K[]) => Promise<readonly (V | Error)[]>,
  options: BusyBatchOptions,
): DataLoader<K, V> {
  let free = Math.max(1, options.slots);
  const waiting: (() => void)[] = [];
  const release = () => {
    const next = waiting.shift();
    if (next === undefined) free++;
    else next(); // the slot passes to the oldest waiting batch
  };
  return new DataLoader<K, V>(
    async (keys) => {
      try {
        return await run(keys);
      } finally {
        release();
      }
    },
    {
      cache: false,
      maxBatchSize: options.maxBatchSize,
      // Called when a batch opens, before its first key is added: it is dispatched one tick
      // later if a slot is free, else when one frees (gathering keys until then).
      batchScheduleFn: (dispatch) => {
        if (free > 0) {
          free--;
          process.nextTick(dispatch);
        } else {
          waiting.push(dispatch);
        }
      },
    },
  );
}
