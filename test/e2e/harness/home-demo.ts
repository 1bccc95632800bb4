/**
 * The Home Assistant side of the demo's round trip (src/iris/simulator/home-demo.ts): the two
 * helpers in configuration.yaml, and the bridge's environment: the simulator's "home" scenario
 * and an options file that allows exactly the round trip. demo.ts and the e2e test that proves
 * the round trip both use it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_LEVEL, DEMO_SWITCH, HOME_DEMO_OPTIONS } from '../../../src/iris/simulator/home-demo.ts';

const key = (entity: string) => entity.split('.')[1] ?? '';

export const HOME_DEMO_YAML = `input_boolean:
  ${key(DEMO_SWITCH)}:
    name: IRIS Edge demo switch
    icon: mdi:toggle-switch
input_number:
  ${key(DEMO_LEVEL)}:
    name: IRIS Edge demo level
    min: 0
    max: 100
    step: 1
    mode: slider
`;

/** Writes the options file into `dir`; the environment for the bridge to run the round trip. */
export function homeDemoEnv(dir: string): Record<string, string> {
  const file = join(dir, 'home-demo-options.json');
  writeFileSync(file, JSON.stringify(HOME_DEMO_OPTIONS, null, 2));
  return { IRIS_EDGE_SIMULATOR_SCENARIO: 'home', IRIS_EDGE_OPTIONS_FILE: file };
}
