/**
 * What global setup hands to the test workers (through environment variables, which Jest
 * workers inherit from the process that ran global setup).
 */
export const ENV_ADMIN_URL = 'WAIAAS_TEST_ADMIN_DATABASE_URL';
export const ENV_TEMPLATE = 'WAIAAS_TEST_TEMPLATE_DATABASE';
export const ENV_REDIS_URL = 'WAIAAS_TEST_REDIS_URL';
export const ENV_RUN_ID = 'WAIAAS_TEST_RUN_ID';

export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: this test needs the integration preset ` +
        "(preset({ rootDir, integration: true }) from '@waiaas/jest-config').",
    );
  }
  return value;
}
