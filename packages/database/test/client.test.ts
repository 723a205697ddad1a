import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from '@waiaas/testing';
import {
  createPrismaClient,
  type PrismaClient,
  type SlowQueryEvent,
  sqlPool,
  sqlTransaction,
} from '../src/index.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

describe('createPrismaClient', () => {
  it('reports queries slower than the threshold as db_query_slow, without parameter values', async () => {
    const slow: SlowQueryEvent[] = [];
    const prisma = createPrismaClient({
      url: db.url,
      slowQueryMs: 150,
      onSlowQuery: (e) => slow.push(e),
    });
    try {
      await prisma.$queryRaw`SELECT 1`;
      await prisma.$queryRaw`SELECT pg_sleep(0.3)::text AS slept, ${'secret-value'}::text AS v`;

      // Only the sleeping query is slow by construction (SELECT 1 may cross the line on a loaded machine).
      const sleeping = slow.filter((e) => e.query.includes('pg_sleep'));
      expect(sleeping).toHaveLength(1);
      expect(sleeping[0]).toMatchObject({ event: 'db_query_slow' });
      expect(sleeping[0]!.durationMs).toBeGreaterThanOrEqual(150);
      expect(JSON.stringify(slow)).not.toContain('secret-value');
    } finally {
      await prisma.$disconnect();
    }
  });

  it('cuts off a statement that runs past the statement timeout', async () => {
    const prisma = createPrismaClient({ url: db.url, statementTimeoutMs: 100 });
    try {
      await expect(prisma.$queryRaw`SELECT pg_sleep(2)`).rejects.toThrow(/statement timeout/);
    } finally {
      await prisma.$disconnect();
    }
  });

  it('prepares a hot statement once per connection, and not at all when told not to', async () => {
    const statement = 'SELECT $1::int + 1 AS next';
    // One connection, so the statement and the look at pg_prepared_statements share a session.
    const preparedOn = async (preparedStatements: boolean): Promise<string[]> => {
      const prisma = createPrismaClient({ url: db.url, poolSize: 1, preparedStatements });
      try {
        for (let i = 0; i < 3; i++) {
          const rows = await sqlPool(prisma).query<{ next: number }>(statement, [i]);
          expect(rows).toEqual([{ next: i + 1 }]);
        }
        // Statements without values (several commands in one) still run, in a transaction too.
        await sqlTransaction(prisma, (sql) => sql.query(statement, [41]));
        const rows = await prisma.$queryRaw<{ statement: string }[]>`
          SELECT statement FROM pg_prepared_statements WHERE statement LIKE '%$1::int + 1%'`;
        return rows.map((r) => r.statement);
      } finally {
        await prisma.$disconnect();
      }
    };
    expect(await preparedOn(true)).toEqual([statement]);
    expect(await preparedOn(false)).toEqual([]);
  });

  it('ends a transaction left idle past its limit: the next statement fails with the reason, the pool carries on', async () => {
    // One connection, so the pool can only carry on if the broken one was discarded.
    const prisma = createPrismaClient({ url: db.url, poolSize: 1 });
    const watcher = createPrismaClient({ url: db.url, poolSize: 1 });
    try {
      // Prisma ends the pool on $disconnect only if it connected itself.
      await prisma.$connect();
      const transaction = sqlTransaction(
        prisma,
        async (sql) => {
          const [session] = await sql.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
          await sessionEnded(watcher, session!.pid);
          return sql.query('SELECT $1::int AS x', [1]);
        },
        { idleTimeoutMs: 50 },
      );
      await expect(transaction).rejects.toThrow(/idle-in-transaction timeout/);
      expect(await sqlPool(prisma).query('SELECT $1::int AS x', [2])).toEqual([{ x: 2 }]);
    } finally {
      await prisma.$disconnect();
      await watcher.$disconnect();
    }
  });
});

describe('sqlTransaction round trips', () => {
  let prisma: PrismaClient;
  /** What each round trip sent, as the slow-query hook at 0 ms reports it. */
  let trips: string[] = [];
  beforeAll(async () => {
    // One connection: every transaction meets the statements the last one prepared.
    prisma = createPrismaClient({
      url: db.url,
      poolSize: 1,
      slowQueryMs: 0,
      onSlowQuery: (e) => trips.push(e.query),
    });
    await prisma.$executeRawUnsafe('CREATE TABLE trip_notes (id int PRIMARY KEY, note text)');
  });
  afterAll(async () => {
    await prisma.$disconnect();
  });
  const insert = 'INSERT INTO trip_notes (id, note) VALUES ($1::int, $2::text) RETURNING id';
  const notes = async () =>
    (await sqlPool(prisma).query<{ id: number }>('SELECT id FROM trip_notes ORDER BY id')).map(
      (r) => r.id,
    );
  const write = (id: number, commit: boolean) =>
    sqlTransaction(prisma, async (sql) => {
      const first = await sql.query<{ id: number }>(insert, [id, 'first']);
      const second = commit
        ? await sql.queryAndCommit<{ id: number }>(insert, [id + 1, 'second'])
        : await sql.query<{ id: number }>(insert, [id + 1, 'second']);
      return [...first, ...second].map((r) => r.id);
    });

  it('sends BEGIN with the first statement and COMMIT with the last, once the connection has prepared them', async () => {
    await write(10, true); // prepares the insert on the connection
    trips = [];
    expect(await write(20, true)).toEqual([20, 21]);
    expect(trips).toEqual([
      `BEGIN; SET LOCAL idle_in_transaction_session_timeout = 20000; SET LOCAL plan_cache_mode = force_generic_plan; ${insert}`,
      `${insert}; COMMIT`,
    ]);
    trips = [];
    expect(await write(30, false)).toEqual([30, 31]);
    expect(trips).toEqual([expect.stringMatching(/^BEGIN; .*INSERT/), insert, 'COMMIT']);
    expect(await notes()).toEqual([10, 11, 20, 21, 30, 31]);
  });

  it('commits nothing of a transaction whose statement sent with COMMIT fails, and the connection carries on', async () => {
    await prisma.$executeRawUnsafe('DELETE FROM trip_notes');
    await write(40, true);
    // 41 exists: the statement sent with COMMIT fails, and the COMMIT with it is skipped.
    await expect(
      sqlTransaction(prisma, async (sql) => {
        await sql.query(insert, [50, 'kept only if committed']);
        await sql.queryAndCommit(insert, [41, 'duplicate']);
      }),
    ).rejects.toThrow(/duplicate key/);
    expect(await notes()).toEqual([40, 41]);
    // Nothing runs after the commit.
    await expect(
      sqlTransaction(prisma, async (sql) => {
        await sql.queryAndCommit(insert, [60, 'committed']);
        await sql.query(insert, [61, 'too late']);
      }),
    ).rejects.toThrow(/after the commit/);
    expect(await notes()).toEqual([40, 41, 60]);
  });

  it('rolls back when the statement sent with BEGIN fails', async () => {
    await prisma.$executeRawUnsafe('DELETE FROM trip_notes');
    await write(70, true);
    trips = [];
    await expect(
      sqlTransaction(prisma, async (sql) => {
        await sql.query(insert, [70, 'duplicate']);
      }),
    ).rejects.toThrow(/duplicate key/);
    expect(trips[0]).toMatch(/^BEGIN; .*INSERT/);
    // The connection is out of the failed transaction: the next one commits.
    expect(await write(80, true)).toEqual([80, 81]);
    expect(await notes()).toEqual([70, 71, 80, 81]);
  });

  it('does not send BEGIN ahead of a statement the connection has yet to prepare, so a failed first parse leaves nothing behind', async () => {
    const statement = 'SELECT note FROM trip_notes_later WHERE id = $1::int';
    const read = () => sqlTransaction(prisma, (sql) => sql.query<{ note: string }>(statement, [1]));
    trips = [];
    await expect(read()).rejects.toThrow(/does not exist/);
    expect(trips.slice(0, 2)).toEqual([expect.stringMatching(/^BEGIN; SET LOCAL/), statement]);
    await prisma.$executeRawUnsafe('CREATE TABLE trip_notes_later (id int, note text)');
    await prisma.$executeRawUnsafe(`INSERT INTO trip_notes_later VALUES (1, 'there now')`);
    // Had BEGIN gone with it, the connection would take the statement for prepared and every
    // later call would fail with "prepared statement … does not exist".
    expect(await read()).toEqual([{ note: 'there now' }]);
    expect(await read()).toEqual([{ note: 'there now' }]);
  });

  describe('queryPair', () => {
    const count = 'SELECT count(*)::int AS n FROM trip_notes WHERE id >= $1::int';
    const lock = 'SELECT id FROM trip_notes WHERE id = $1::int FOR UPDATE';
    /** A value `pg` cannot bind: JSON cannot encode it. */
    const unencodable: Record<string, unknown> = {};
    unencodable.self = unencodable;
    /** The backend serving the pool's one connection: the same pid, the same connection. */
    const session = () =>
      sqlTransaction(prisma, (sql) => sql.query<{ pid: number }>('SELECT pg_backend_pid() AS pid'));
    const pair = (id: number) =>
      sqlTransaction(prisma, (sql) =>
        sql.queryPair<{ id: number }, { n: number }>(
          { text: lock, values: [id] },
          { text: count, values: [id] },
        ),
      );

    it('sends both statements in one round trip once the connection has prepared them, each answered with its own rows', async () => {
      await prisma.$executeRawUnsafe('DELETE FROM trip_notes');
      await write(100, true);
      trips = [];
      // First use on the connection: a round trip for BEGIN, then one per statement.
      expect(await pair(100)).toEqual([[{ id: 100 }], [{ n: 2 }]]);
      expect(trips).toEqual([expect.stringMatching(/^BEGIN; SET LOCAL/), lock, count, 'COMMIT']);
      trips = [];
      expect(await pair(101)).toEqual([[{ id: 101 }], [{ n: 1 }]]);
      expect(trips).toEqual([
        expect.stringMatching(new RegExp(`^BEGIN; .*; ${escape(lock)}; ${escape(count)}$`)),
        'COMMIT',
      ]);
    });

    it('runs the second statement on what was committed while the first waited for a lock', async () => {
      await prisma.$executeRawUnsafe('DELETE FROM trip_notes');
      await write(200, true); // 200 and 201
      await pair(200); // both prepared on the connection: the pair goes out in one round trip
      const holder = createPrismaClient({ url: db.url, poolSize: 1 });
      const watcher = createPrismaClient({ url: db.url, poolSize: 1 });
      try {
        let paired: Promise<[{ id: number }[], { n: number }[]]> | undefined;
        await sqlTransaction(holder, async (sql) => {
          await sql.query(lock, [200]);
          trips = [];
          paired = pair(200);
          await waitingForLock(watcher);
          // Committed while the pair's first statement waits for the row this transaction holds.
          await sql.query(insert, [202, 'committed by the lock holder']);
        });
        const [locked, counted] = await paired!;
        expect(trips).toHaveLength(2); // the pair in one round trip, then COMMIT
        expect(locked).toEqual([{ id: 200 }]);
        // Read in the locking statement, the count would be the 2 rows of its snapshot.
        expect(counted).toEqual([{ n: 3 }]);
      } finally {
        await holder.$disconnect();
        await watcher.$disconnect();
      }
    });

    it('fails with the error of a second statement whose values cannot be sent, commits nothing, and the connection carries on', async () => {
      await prisma.$executeRawUnsafe('DELETE FROM trip_notes');
      const both = (note: unknown) =>
        sqlTransaction(prisma, async (sql) => {
          await sql.queryPair(
            { text: insert, values: [400, 'first'] },
            { text: insert, values: [401, note] },
          );
          await sql.queryAndCommit(insert, [402, 'last']);
        });
      await both('prepared'); // both statements prepared on the connection
      await prisma.$executeRawUnsafe('DELETE FROM trip_notes');
      const before = await session();
      trips = [];
      await expect(both(unencodable)).rejects.toThrow(/circular/i);
      expect(trips[0]).toMatch(new RegExp(`^BEGIN; .*; ${escape(insert)}; ${escape(insert)}$`));
      expect(await notes()).toEqual([]);
      // The same session: the pipeline ended with its Sync and the transaction rolled back, so
      // the connection was not left waiting and thrown away.
      expect(await session()).toEqual(before);
      expect(await write(410, true)).toEqual([410, 411]);
    });

    it('fails at once with the error of a first statement whose values cannot be sent, or of one sent alone, and keeps the connection', async () => {
      await prisma.$executeRawUnsafe('DELETE FROM trip_notes');
      const paired = (note: unknown) =>
        sqlTransaction(prisma, async (sql) => {
          await sql.queryPair(
            { text: insert, values: [500, note] },
            { text: insert, values: [501, 'second'] },
          );
          await sql.queryAndCommit(insert, [502, 'last']);
        });
      const alone = (note: unknown) =>
        sqlTransaction(prisma, async (sql) => {
          await sql.query(insert, [510, 'first']);
          await sql.query(insert, [511, note]); // mid-transaction: nothing sent with it
          await sql.queryAndCommit(insert, [512, 'last']);
        });
      await paired('prepared');
      await alone('prepared');
      await prisma.$executeRawUnsafe('DELETE FROM trip_notes');
      const before = await session();
      trips = [];
      await expect(paired(unencodable)).rejects.toThrow(/circular/i);
      expect(trips[0]).toMatch(new RegExp(`^BEGIN; .*; ${escape(insert)}; ${escape(insert)}$`));
      await expect(alone(unencodable)).rejects.toThrow(/circular/i);
      expect(await notes()).toEqual([]);
      // The same session: without a Sync after the failed bind the server would have answered
      // nothing, and the connection would have waited out its query timeout and been dropped.
      expect(await session()).toEqual(before);
      expect(await write(520, true)).toEqual([520, 521]);
    });

    it('gives statements sent together the time each would have had alone', async () => {
      // PostgreSQL limits each statement to 3 s; the client waits 4 s for a lone one's answer.
      const patient = createPrismaClient({ url: db.url, poolSize: 1, statementTimeoutMs: 3_000 });
      const sleep = 'SELECT pg_sleep($1::float8) AS slept';
      const both = (seconds: number) =>
        sqlTransaction(patient, (sql) =>
          sql.queryPair({ text: sleep, values: [seconds] }, { text: sleep, values: [seconds] }),
        );
      try {
        await both(0); // prepares the statement, so the pair goes out in one round trip
        // Each within its own limit, 4.4 s together: not a timeout.
        await expect(both(2.2)).resolves.toHaveLength(2);
      } finally {
        await patient.$disconnect();
      }
    });

    it('does not run the second statement when the first fails, and rolls back', async () => {
      await prisma.$executeRawUnsafe('DELETE FROM trip_notes');
      await write(300, true);
      const both = () =>
        sqlTransaction(prisma, (sql) =>
          sql.queryPair(
            { text: insert, values: [300, 'duplicate'] },
            { text: insert, values: [302, 'never written'] },
          ),
        );
      await expect(both()).rejects.toThrow(/duplicate key/); // prepares the insert, if not yet
      trips = [];
      await expect(both()).rejects.toThrow(/duplicate key/);
      expect(trips[0]).toMatch(new RegExp(`^BEGIN; .*; ${escape(insert)}; ${escape(insert)}$`));
      expect(await notes()).toEqual([300, 301]);
      expect(await write(310, true)).toEqual([310, 311]);
    });
  });

  it('sends nothing for a transaction that runs no statement', async () => {
    trips = [];
    expect(await sqlTransaction(prisma, () => Promise.resolve('nothing'))).toBe('nothing');
    expect(trips).toEqual([]);
  });
});

describe('$disconnect', () => {
  it('closes the connections of both pools: Prisma’s and the autocommit statements’', async () => {
    const applicationName = `waiaas-disconnect-${process.pid}`;
    const prisma = createPrismaClient({ url: db.url, poolSize: 1, applicationName });
    const watcher = createPrismaClient({ url: db.url, poolSize: 1 });
    const open = async () => {
      const [row] = await watcher.$queryRaw<{ n: number }[]>`
        SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = ${applicationName}`;
      return row!.n;
    };
    try {
      await prisma.$queryRaw`SELECT 1`;
      await sqlPool(prisma).query('SELECT $1::int AS one', [1]);
      expect(await open()).toBe(2);
      await prisma.$disconnect();
      const deadline = Date.now() + 10_000;
      while ((await open()) > 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      expect(await open()).toBe(0);
    } finally {
      await watcher.$disconnect();
    }
  });
});

describe('an idle pooled connection the server ends', () => {
  // Only plain statements so far: Prisma's adapter has not attached its own listeners.
  const pidOf = {
    'an autocommit statement': (prisma: PrismaClient) =>
      sqlPool(prisma).query<{ pid: number }>('SELECT pg_backend_pid() AS pid', []),
    'a transaction': (prisma: PrismaClient) =>
      sqlTransaction(prisma, (sql) =>
        sql.query<{ pid: number }>('SELECT pg_backend_pid() AS pid', []),
      ),
  };
  it.each(Object.keys(pidOf) as (keyof typeof pidOf)[])(
    'is dropped without taking the process down, and the next statement runs on a new one (%s)',
    async (kind) => {
      const prisma = createPrismaClient({ url: db.url, poolSize: 1 });
      const watcher = createPrismaClient({ url: db.url, poolSize: 1 });
      try {
        const [session] = await pidOf[kind](prisma);
        await watcher.$queryRaw`SELECT pg_terminate_backend(${session!.pid}::int)`;
        await sessionEnded(watcher, session!.pid);
        // Gives the pool's socket time to see the end before the next checkout.
        await new Promise((r) => setTimeout(r, 50));
        const [next] = await pidOf[kind](prisma);
        expect(next!.pid).not.toBe(session!.pid);
      } finally {
        await prisma.$connect();
        await prisma.$disconnect();
        await watcher.$disconnect();
      }
    },
  );
});

/** Resolves once the server has ended the session `pid` (polled from another connection). */
async function sessionEnded(watcher: PrismaClient, pid: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const rows = await watcher.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ${pid}`;
    if (rows[0]?.n === 0) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`session ${pid} still open`);
}

/** `text` as a literal in a regular expression. */
function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Resolves once a session of the database waits for a row lock. */
async function waitingForLock(watcher: PrismaClient): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const [row] = await watcher.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND wait_event_type = 'Lock'`;
    if (row!.n > 0) return;
    if (Date.now() > deadline) throw new Error('no session waited for the lock');
    await new Promise((r) => setTimeout(r, 10));
  }
}
