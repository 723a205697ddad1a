/**
 * Ceiling 1: a bare Fastify route returning a small JSON, in a process of its own. Nothing a
 * product route can do is cheaper than this on this machine with this generator.
 *
 *   PORT=37003 node bench/dist/ceilings/fastify-server.js
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/', () => ({ ok: true, service: 'ceiling' }));
await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
process.stdout.write(`ready ${JSON.stringify(app.server.address())}\n`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
