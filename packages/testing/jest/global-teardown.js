// Drops the run's template database and stops any containers global setup started.
import pg from 'pg';

export default async function globalTeardown() {
  const adminUrl = process.env.WAIAAS_TEST_ADMIN_DATABASE_URL;
  const template = process.env.WAIAAS_TEST_TEMPLATE_DATABASE;
  if (adminUrl && template) {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  }
  await globalThis.__WAIAAS_TEST_SERVICES__?.stop();
}
