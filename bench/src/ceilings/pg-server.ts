/**
 * Ceiling 2: a bare `pg` pool (10 connections) behind a bare Fastify route, on the same
 * PostgreSQL as the product: per request `BEGIN; UPDATE one of 100 rows; INSERT; COMMIT`,
 * the smallest write a transfer could possibly make (a balance-like row and a log row).
 *
 *   DATABASE_URL=… PORT=37004 node bench/dist/ceilings/pg-server.js
 */
import Fastify from 'fastify';
import pg from 'pg';

const ROWS = 100;
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
await pool.query(`
  CREATE TABLE IF NOT EXISTS bench_ceiling_accounts (id int PRIMARY KEY, spent bigint NOT NULL);
  CREATE TABLE IF NOT EXISTS bench_ceiling_log (
    id bigserial PRIMARY KEY, account_id int NOT NULL, amount bigint NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now());
  INSERT INTO bench_ceiling_accounts SELECT g, 0 FROM generate_series(1, ${ROWS}) g
    ON CONFLICT DO NOTHING;`);

let next = 0;
const app = Fastify({ logger: false });
app.post('/', async () => {
  const account = (next++ % ROWS) + 1;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('UPDATE bench_ceiling_accounts SET spent = spent + $2 WHERE id = $1', [
      account,
      1000,
    ]);
    const { rows } = await client.query<{ id: string }>(
      'INSERT INTO bench_ceiling_log (account_id, amount) VALUES ($1, $2) RETURNING id',
      [account, 1000],
    );
    await client.query('COMMIT');
    return { id: rows[0]?.id };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
});
await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
process.stdout.write(`ready ${JSON.stringify(app.server.address())}\n`);
process.once(
  'SIGTERM',
  () =>
    void app
      .close()
      .then(() => pool.end())
      .then(() => process.exit(0)),
);
