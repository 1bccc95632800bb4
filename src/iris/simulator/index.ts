export { IrisSimulator, type SimulatorOptions } from './simulator.ts';
export { demoScenario, scaleScenario, type ProductionSeed, type HostSeed } from './scenarios.ts';
