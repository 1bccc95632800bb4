// The modules `npm run mutation` mutates, and the tests that must catch each one's mutants: its unit
// tests and the integration tests that drive it through the bridge. Files are listed fastest and
// most pointed first, because a mutant's run stops at the first failing file.
export const MODULES = {
  verify: {
    file: 'src/certs/verify.ts',
    tests: [
      'test/unit/verify-chain-negative.test.ts',
      'test/unit/verify-host.test.ts',
      'test/unit/verify-lint.test.ts',
      'test/unit/certs-expiry.test.ts',
      'test/unit/certs-core.test.ts',
      'test/unit/certs-abuse.test.ts',
      'test/unit/certs-fuzz.test.ts',
      'test/integration/certificates.test.ts',
      'test/integration/certs-api.test.ts',
    ],
  },
  discovery: {
    file: 'src/mqtt/discovery.ts',
    tests: ['test/unit/discovery-payloads.test.ts', 'test/unit/discovery.test.ts', 'test/unit/discovery-contract.test.ts', 'test/unit/instance-sensors.test.ts', 'test/integration/bridge.test.ts'],
  },
  state: {
    file: 'src/mqtt/state.ts',
    tests: ['test/unit/state-table.test.ts', 'test/unit/namespace-switch.test.ts', 'test/unit/discovery.test.ts', 'test/integration/bridge.test.ts'],
  },
  production: {
    file: 'src/model/production.ts',
    tests: ['test/unit/production-states.test.ts', 'test/unit/namespace-switch.test.ts', 'test/unit/discovery.test.ts', 'test/unit/instance-sensors.test.ts', 'test/integration/bridge.test.ts'],
  },
  manifest: {
    file: 'src/backups/manifest.ts',
    tests: ['test/unit/manifest-schema.test.ts', 'test/unit/backups.test.ts', 'test/unit/parsers-properties.test.ts', 'test/integration/backups.test.ts'],
  },
};
