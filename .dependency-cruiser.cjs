/**
 * The architecture rules of DESIGN.md §2, checked on every `npm test` (test/addon/architecture.test.ts)
 * and by `npx depcruise src web/src --config .dependency-cruiser.cjs`:
 * dependencies flow one way, rooms do not reach into each other, and nothing imports the
 * composition root. A rule the code breaks is fixed in the code, never waived here.
 */
const CONSUMERS = ['mqtt', 'ha', 'panel', 'mcp'];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import circle means two files are one concern, or a shared word lives in the wrong room.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'iris-only-model',
      severity: 'error',
      comment: 'iris/ is the only room that talks to IRIS; it speaks the shared vocabulary of model/ and knows nothing else.',
      from: { path: '^src/iris/' },
      to: { path: '^src/', pathNot: ['^src/iris/', '^src/model/'] },
    },
    {
      name: 'model-is-shared-words',
      severity: 'error',
      comment: 'model/ is plain data and pure functions every room shares: it imports nothing from the rooms.',
      from: { path: '^src/model/' },
      to: { path: '^src/', pathNot: '^src/model/' },
    },
    ...CONSUMERS.map((room) => ({
      name: `${room}-not-into-other-consumers`,
      severity: 'error',
      comment: `${room}/ renders the model and the monitor's changes for one audience; it never reaches into another consumer.`,
      from: { path: `^src/${room}/` },
      to: { path: `^src/(${CONSUMERS.filter((r) => r !== room).join('|')})/` },
    })),
    {
      name: 'consumers-not-into-iris',
      severity: 'error',
      comment: 'MQTT, Home Assistant and the panel reach IRIS through the monitor (and the shared model), never directly.',
      from: { path: `^src/(${CONSUMERS.join('|')})/` },
      to: { path: '^src/iris/' },
    },
    {
      name: 'nothing-imports-the-root',
      severity: 'error',
      comment: 'app.ts wires everything and main.ts is the process entry (simulator-main.ts that of the simulator alone): nothing may depend on them.',
      from: { pathNot: '^src/main\\.ts$' },
      to: { path: '^src/(app|main|simulator-main)\\.ts$' },
    },
    {
      name: 'compose-only-from-the-root',
      severity: 'error',
      comment: 'compose/ builds the pieces app.ts (and simulator-main.ts) wire; it is part of the composition root, not a library.',
      from: { path: '^src/', pathNot: '^src/(app\\.ts$|simulator-main\\.ts$|compose/)' },
      to: { path: '^src/compose/' },
    },
    {
      name: 'web-only-model',
      severity: 'error',
      comment: 'The panel UI is built for the browser: from src/ it may take only the shared vocabulary.',
      from: { path: '^web/' },
      to: { path: '^src/', pathNot: '^src/model/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs'] },
  },
};
