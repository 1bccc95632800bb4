// StrykerJS 9. One module per run, picked by
// IRIS_EDGE_MUTATE; scripts/mutation.mjs runs them all and prints the scores.
import { MODULES } from './scripts/mutation-modules.mjs';

const key = process.env.IRIS_EDGE_MUTATE ?? 'state';
const mod = MODULES[key];
if (!mod) throw new Error(`IRIS_EDGE_MUTATE must be one of ${Object.keys(MODULES).join(', ')}`);

export default {
  mutate: [mod.file],
  testRunner: 'command',
  commandRunner: { command: `node scripts/mutation-tests.mjs ${key}` },
  coverageAnalysis: 'off',
  // Message text is counted apart, not run (scripts/message-text.mjs says what counts).
  plugins: ['@stryker-mutator/*', './scripts/stryker-message-text.mjs'],
  ignorers: ['message-text'],
  // The CPU is shared: never more than two mutants at once.
  concurrency: Number(process.env.IRIS_EDGE_MUTATION_CONCURRENCY ?? 1),
  timeoutMS: 20_000,
  timeoutFactor: 2,
  // The sandbox is a copy of the add-on; outside the repository it cannot leave a stray
  // build.yaml/config.yaml for the add-on store to find.
  tempDirName: `/tmp/iris-edge-stryker-${key}`,
  ignorePatterns: ['dist', '.artifacts', '.iris-edge', 'reports', 'web/node_modules'],
  reporters: ['json', 'clear-text', 'progress'],
  jsonReporter: { fileName: `reports/mutation/${key}.json` },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true, reportMutants: false },
  cleanTempDir: 'always',
};
