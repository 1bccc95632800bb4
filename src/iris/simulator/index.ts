export { IrisSimulator, SIMULATOR_TARGET, type SimulatorOptions } from './simulator.ts';
export { SimulatedIris, type SimulatedIrisOptions, type BridgeCredentials } from './server.ts';
export { SIMULATOR_DRIVER, startSuperserver, type RunningSuperserver } from './superserver.ts';
export { demoScenario, scaleScenario, type ProductionSeed, type HostSeed } from './scenarios.ts';
