/**
 * Addresses of the real servers the test launcher (test/support/launch/run-tests.ts) started for this run.
 * A test that needs one and does not find it fails with how to fix that; nothing skips.
 */
export interface TestServices {
  temporalAddress: string;
  motoUrl: string;
  databaseAdminUrl: string;
  timeSkippingServer: string;
}

export function testServices(): TestServices {
  const read = (key: string): string => {
    const value = process.env[key];
    if (!value) {
      throw new Error(
        `${key} is not set. Run tests through \`npm test\` (optionally \`npm test -- <files>\`), which starts Temporal, moto and PostgreSQL.`,
      );
    }
    return value;
  };
  return {
    temporalAddress: read('LEAST_TEST_TEMPORAL_ADDRESS'),
    motoUrl: read('LEAST_TEST_MOTO_URL'),
    databaseAdminUrl: read('LEAST_TEST_DATABASE_ADMIN_URL'),
    timeSkippingServer: read('LEAST_TEST_TIME_SKIPPING_SERVER'),
  };
}
