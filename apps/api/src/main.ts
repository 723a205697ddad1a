import { createApp } from './app.factory.js';
import { ConfigError, loadConfig } from './config/app-config.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`Invalid configuration: ${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
  const app = await createApp(config);
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  await app.listen({ port: config.server.port, host: config.server.host });
}

main().catch((e: unknown) => {
  process.stderr.write(
    `waiaas-api failed to start: ${e instanceof Error ? e.message : String(e)}\n`,
  );
  process.exit(1);
});
