/** Simulators a suite makes, all closed after it: call simulators() in a describe body, then sim(). */
import { after } from 'node:test';
import { IrisSimulator, type SimulatorOptions } from '../../src/iris/simulator/index.ts';

export function simulators(defaults: SimulatorOptions = { transitionMs: 1 }): (opts?: SimulatorOptions) => IrisSimulator {
  const made: IrisSimulator[] = [];
  after(async () => {
    for (const s of made) await s.close();
  });
  return (opts = {}) => {
    const s = new IrisSimulator({ ...defaults, ...opts });
    made.push(s);
    return s;
  };
}
