import { defineConfig } from 'prisma/config';

// The CLI reads this file; the application never does (it builds its client from typed
// config in src/client.ts). DATABASE_URL is only needed for `prisma migrate deploy` on a
// machine where Prisma's engines can be downloaded; `pnpm db:migrate` is the offline path.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost:5432/waiaas' },
});
