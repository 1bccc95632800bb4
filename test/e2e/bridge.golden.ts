/**
 * What a user sees in Home Assistant when the bridge runs on the simulator's demo scenario
 * (src/iris/simulator/scenarios.ts demoScenario, host_device_threshold 20: every host on its
 * production's device), written out by hand from the user's point of view. It is deliberately NOT
 * computed from the discovery builders: a dropped component, a renamed id or a wrong unit in them
 * must make bridge.e2e.test.ts fail, not move the expectation along with the bug.
 *
 * States are what HA shows right after start: a string, a pattern for figures the simulator varies
 * at random (queues, error counts, a host now and then in error), or DISABLED for entities that are
 * off by default and so have no state.
 */
import { BRIDGE_VERSION } from '../../src/version.ts';

export const DISABLED = null;
type State = string | RegExp | typeof DISABLED;

export interface GoldenDevice {
  /** The MQTT identifier. */
  id: string;
  name: string;
  model: string;
  /** InterSystems for its own classes (the instance), none for the user's productions. */
  manufacturer: string | null;
  /** The identifier of the device it is connected through. */
  via: string | null;
}

export interface GoldenEntity {
  entityId: string;
  uniqueId: string;
  friendlyName: string;
  deviceClass: string | null;
  unit: string | null;
  state: State;
  /** GoldenDevice.id */
  device: string;
}

const IRIS = 'iris_edge_iris';
const ORDERS = 'iris_edge_iris_orders_orders_production';
const REPLAY = 'iris_edge_iris_orders_orders_replay_production';
const LAB = 'iris_edge_iris_lab_lab_results_production';

export const GOLDEN_DEVICES: GoldenDevice[] = [
  { id: IRIS, name: 'IRIS', model: 'IRIS simulator', manufacturer: 'InterSystems', via: null },
  { id: ORDERS, name: 'Orders Production', model: 'Interoperability production (ORDERS)', manufacturer: null, via: IRIS },
  { id: REPLAY, name: 'Orders Replay Production', model: 'Interoperability production (ORDERS)', manufacturer: null, via: IRIS },
  { id: LAB, name: 'Lab Results Production', model: 'Interoperability production (LAB)', manufacturer: null, via: IRIS },
];

const COUNT = /^\d+$/;
/** A host of a running production: ok, or in error when the simulator fails a message at random. */
const RUNNING_HOST = /^(ok|error)$/;

const row = (
  entityId: string,
  uniqueId: string,
  friendlyName: string,
  deviceClass: string | null,
  unit: string | null,
  state: State,
  device: string,
): GoldenEntity => ({ entityId, uniqueId, friendlyName, deviceClass, unit, state, device });

export const GOLDEN_ENTITIES: GoldenEntity[] = [
  //  entity id                                                   unique id                                                                      friendly name                                                  device class   unit        state
  row('binary_sensor.iris_reachable',                             'iris_edge_iris_reachable',                                                    'IRIS Reachable',                                              'connectivity', null,      'on',                      IRIS),
  row('sensor.iris_version',                                      'iris_edge_iris_version',                                                      'IRIS Version',                                                null,           null,      '2026.1.0.213.0',          IRIS),
  row('sensor.iris_bridge_version',                               'iris_edge_iris_bridge_version',                                               'IRIS Bridge version',                                         null,           null,      BRIDGE_VERSION,            IRIS),
  row('event.iris_alerts',                                        'iris_edge_iris_alerts',                                                       'IRIS Alerts',                                                 null,           null,      'unknown',                 IRIS),
  row('select.iris_orders_production',                            'iris_edge_iris_ns_orders_production',                                         'IRIS ORDERS running production',                              null,           null,      'Orders Production',       IRIS),
  row('select.iris_lab_production',                               'iris_edge_iris_ns_lab_production',                                            'IRIS LAB running production',                                 null,           null,      'Lab Results Production',  IRIS),

  row('switch.orders_production',                                 'iris_edge_iris_orders_orders_production_running',                             'Orders Production',                                           null,           null,      'on',                      ORDERS),
  row('sensor.orders_production_status',                          'iris_edge_iris_orders_orders_production_status',                              'Orders Production Status',                                    'enum',         null,      'running',                 ORDERS),
  row('binary_sensor.orders_production_troubled',                 'iris_edge_iris_orders_orders_production_troubled',                            'Orders Production Troubled',                                  'problem',      null,      'off',                     ORDERS),
  row('sensor.orders_production_queue',                           'iris_edge_iris_orders_orders_production_queue',                               'Orders Production Queue',                                     null,           null,      COUNT,                     ORDERS),
  row('sensor.orders_production_errors',                          'iris_edge_iris_orders_orders_production_errors',                              'Orders Production Errors',                                    null,           null,      COUNT,                     ORDERS),
  row('event.orders_production_events',                           'iris_edge_iris_orders_orders_production_events',                              'Orders Production Events',                                    null,           null,      'unknown',                 ORDERS),
  row('button.orders_production_restart',                         'iris_edge_iris_orders_orders_production_restart',                             'Orders Production Restart',                                   'restart',      null,      'unknown',                 ORDERS),
  row('button.orders_production_apply_update',                    'iris_edge_iris_orders_orders_production_apply_update',                        'Orders Production Apply configuration',                       null,           null,      'unknown',                 ORDERS),
  row('binary_sensor.orders_production_configuration_pending',    'iris_edge_iris_orders_orders_production_config_pending',                      'Orders Production Configuration pending',                     null,           null,      'off',                     ORDERS),
  row('button.orders_production_recover',                         'iris_edge_iris_orders_orders_production_recover',                             'Orders Production Recover',                                   null,           null,      'unknown',                 ORDERS),
  row('sensor.orders_production_hl7_in_file_status',              'iris_edge_iris_orders_orders_production_host_hl7_in_file_status',             'Orders Production HL7.In.File status',                        'enum',         null,      RUNNING_HOST,              ORDERS),
  row('sensor.orders_production_hl7_in_file_queue',               'iris_edge_iris_orders_orders_production_host_hl7_in_file_queue',              'Orders Production HL7.In.File queue',                         null,           null,      COUNT,                     ORDERS),
  row('sensor.orders_production_hl7_in_file_errors',              'iris_edge_iris_orders_orders_production_host_hl7_in_file_errors',             'Orders Production HL7.In.File errors',                        null,           null,      DISABLED,                  ORDERS),
  row('sensor.orders_production_hl7_in_file_last_activity',       'iris_edge_iris_orders_orders_production_host_hl7_in_file_last_activity',      'Orders Production HL7.In.File last activity',                 'timestamp',    null,      DISABLED,                  ORDERS),
  row('switch.orders_production_hl7_in_file_enabled',             'iris_edge_iris_orders_orders_production_host_hl7_in_file_enabled',            'Orders Production HL7.In.File enabled',                       null,           null,      'on',                      ORDERS),
  row('sensor.orders_production_orders_router_status',            'iris_edge_iris_orders_orders_production_host_orders_router_status',           'Orders Production Orders.Router status',                      'enum',         null,      RUNNING_HOST,              ORDERS),
  row('sensor.orders_production_orders_router_queue',             'iris_edge_iris_orders_orders_production_host_orders_router_queue',            'Orders Production Orders.Router queue',                       null,           null,      COUNT,                     ORDERS),
  row('sensor.orders_production_orders_router_errors',            'iris_edge_iris_orders_orders_production_host_orders_router_errors',           'Orders Production Orders.Router errors',                      null,           null,      DISABLED,                  ORDERS),
  row('sensor.orders_production_orders_router_last_activity',     'iris_edge_iris_orders_orders_production_host_orders_router_last_activity',    'Orders Production Orders.Router last activity',               'timestamp',    null,      DISABLED,                  ORDERS),
  row('switch.orders_production_orders_router_enabled',           'iris_edge_iris_orders_orders_production_host_orders_router_enabled',          'Orders Production Orders.Router enabled',                     null,           null,      'on',                      ORDERS),
  row('sensor.orders_production_hl7_out_lab_status',              'iris_edge_iris_orders_orders_production_host_hl7_out_lab_status',             'Orders Production HL7.Out.Lab status',                        'enum',         null,      RUNNING_HOST,              ORDERS),
  row('sensor.orders_production_hl7_out_lab_queue',               'iris_edge_iris_orders_orders_production_host_hl7_out_lab_queue',              'Orders Production HL7.Out.Lab queue',                         null,           null,      COUNT,                     ORDERS),
  row('sensor.orders_production_hl7_out_lab_errors',              'iris_edge_iris_orders_orders_production_host_hl7_out_lab_errors',             'Orders Production HL7.Out.Lab errors',                        null,           null,      DISABLED,                  ORDERS),
  row('sensor.orders_production_hl7_out_lab_last_activity',       'iris_edge_iris_orders_orders_production_host_hl7_out_lab_last_activity',      'Orders Production HL7.Out.Lab last activity',                 'timestamp',    null,      DISABLED,                  ORDERS),
  row('switch.orders_production_hl7_out_lab_enabled',             'iris_edge_iris_orders_orders_production_host_hl7_out_lab_enabled',            'Orders Production HL7.Out.Lab enabled',                       null,           null,      'on',                      ORDERS),
  row('sensor.orders_production_orders_db_status',                'iris_edge_iris_orders_orders_production_host_orders_db_status',               'Orders Production Orders.DB status',                          'enum',         null,      RUNNING_HOST,              ORDERS),
  row('sensor.orders_production_orders_db_queue',                 'iris_edge_iris_orders_orders_production_host_orders_db_queue',                'Orders Production Orders.DB queue',                           null,           null,      COUNT,                     ORDERS),
  row('sensor.orders_production_orders_db_errors',                'iris_edge_iris_orders_orders_production_host_orders_db_errors',               'Orders Production Orders.DB errors',                          null,           null,      DISABLED,                  ORDERS),
  row('sensor.orders_production_orders_db_last_activity',         'iris_edge_iris_orders_orders_production_host_orders_db_last_activity',        'Orders Production Orders.DB last activity',                   'timestamp',    null,      DISABLED,                  ORDERS),
  row('switch.orders_production_orders_db_enabled',               'iris_edge_iris_orders_orders_production_host_orders_db_enabled',              'Orders Production Orders.DB enabled',                         null,           null,      'on',                      ORDERS),

  row('switch.orders_replay_production',                          'iris_edge_iris_orders_orders_replay_production_running',                      'Orders Replay Production',                                    null,           null,      'off',                     REPLAY),
  row('sensor.orders_replay_production_status',                   'iris_edge_iris_orders_orders_replay_production_status',                       'Orders Replay Production Status',                             'enum',         null,      'stopped',                 REPLAY),
  row('binary_sensor.orders_replay_production_troubled',          'iris_edge_iris_orders_orders_replay_production_troubled',                     'Orders Replay Production Troubled',                           'problem',      null,      'off',                     REPLAY),
  row('sensor.orders_replay_production_queue',                    'iris_edge_iris_orders_orders_replay_production_queue',                        'Orders Replay Production Queue',                              null,           null,      '0',                       REPLAY),
  row('sensor.orders_replay_production_errors',                   'iris_edge_iris_orders_orders_replay_production_errors',                       'Orders Replay Production Errors',                             null,           null,      '0',                       REPLAY),
  row('event.orders_replay_production_events',                    'iris_edge_iris_orders_orders_replay_production_events',                       'Orders Replay Production Events',                             null,           null,      'unknown',                 REPLAY),
  row('button.orders_replay_production_restart',                  'iris_edge_iris_orders_orders_replay_production_restart',                      'Orders Replay Production Restart',                            'restart',      null,      'unknown',                 REPLAY),
  row('button.orders_replay_production_apply_update',             'iris_edge_iris_orders_orders_replay_production_apply_update',                 'Orders Replay Production Apply configuration',                null,           null,      'unknown',                 REPLAY),
  row('binary_sensor.orders_replay_production_configuration_pending', 'iris_edge_iris_orders_orders_replay_production_config_pending',               'Orders Replay Production Configuration pending',              null,           null,      'off',                     REPLAY),
  row('button.orders_replay_production_recover',                  'iris_edge_iris_orders_orders_replay_production_recover',                      'Orders Replay Production Recover',                            null,           null,      'unknown',                 REPLAY),
  row('sensor.orders_replay_production_replay_in_file_status',    'iris_edge_iris_orders_orders_replay_production_host_replay_in_file_status',   'Orders Replay Production Replay.In.File status',              'enum',         null,      'stopped',                 REPLAY),
  row('sensor.orders_replay_production_replay_in_file_queue',     'iris_edge_iris_orders_orders_replay_production_host_replay_in_file_queue',    'Orders Replay Production Replay.In.File queue',               null,           null,      '0',                       REPLAY),
  row('sensor.orders_replay_production_replay_in_file_errors',    'iris_edge_iris_orders_orders_replay_production_host_replay_in_file_errors',   'Orders Replay Production Replay.In.File errors',              null,           null,      DISABLED,                  REPLAY),
  row('sensor.orders_replay_production_replay_in_file_last_activity', 'iris_edge_iris_orders_orders_replay_production_host_replay_in_file_last_activity', 'Orders Replay Production Replay.In.File last activity', 'timestamp', null, DISABLED,                 REPLAY),
  row('switch.orders_replay_production_replay_in_file_enabled',   'iris_edge_iris_orders_orders_replay_production_host_replay_in_file_enabled',  'Orders Replay Production Replay.In.File enabled',             null,           null,      'on',                      REPLAY),

  row('switch.lab_results_production',                            'iris_edge_iris_lab_lab_results_production_running',                           'Lab Results Production',                                      null,           null,      'on',                      LAB),
  row('sensor.lab_results_production_status',                     'iris_edge_iris_lab_lab_results_production_status',                            'Lab Results Production Status',                               'enum',         null,      'running',                 LAB),
  row('binary_sensor.lab_results_production_troubled',            'iris_edge_iris_lab_lab_results_production_troubled',                          'Lab Results Production Troubled',                             'problem',      null,      'off',                     LAB),
  row('sensor.lab_results_production_queue',                      'iris_edge_iris_lab_lab_results_production_queue',                             'Lab Results Production Queue',                                null,           null,      COUNT,                     LAB),
  row('sensor.lab_results_production_errors',                     'iris_edge_iris_lab_lab_results_production_errors',                            'Lab Results Production Errors',                               null,           null,      COUNT,                     LAB),
  row('event.lab_results_production_events',                      'iris_edge_iris_lab_lab_results_production_events',                            'Lab Results Production Events',                               null,           null,      'unknown',                 LAB),
  row('button.lab_results_production_restart',                    'iris_edge_iris_lab_lab_results_production_restart',                           'Lab Results Production Restart',                              'restart',      null,      'unknown',                 LAB),
  row('button.lab_results_production_apply_update',               'iris_edge_iris_lab_lab_results_production_apply_update',                      'Lab Results Production Apply configuration',                  null,           null,      'unknown',                 LAB),
  row('binary_sensor.lab_results_production_configuration_pending',   'iris_edge_iris_lab_lab_results_production_config_pending',                    'Lab Results Production Configuration pending',                null,           null,      'off',                     LAB),
  row('button.lab_results_production_recover',                    'iris_edge_iris_lab_lab_results_production_recover',                           'Lab Results Production Recover',                              null,           null,      'unknown',                 LAB),
  row('sensor.lab_results_production_results_in_tcp_status',      'iris_edge_iris_lab_lab_results_production_host_results_in_tcp_status',        'Lab Results Production Results.In.TCP status',                'enum',         null,      RUNNING_HOST,              LAB),
  row('sensor.lab_results_production_results_in_tcp_queue',       'iris_edge_iris_lab_lab_results_production_host_results_in_tcp_queue',         'Lab Results Production Results.In.TCP queue',                 null,           null,      COUNT,                     LAB),
  row('sensor.lab_results_production_results_in_tcp_errors',      'iris_edge_iris_lab_lab_results_production_host_results_in_tcp_errors',        'Lab Results Production Results.In.TCP errors',                null,           null,      DISABLED,                  LAB),
  row('sensor.lab_results_production_results_in_tcp_last_activity', 'iris_edge_iris_lab_lab_results_production_host_results_in_tcp_last_activity', 'Lab Results Production Results.In.TCP last activity',      'timestamp',    null,      DISABLED,                  LAB),
  row('switch.lab_results_production_results_in_tcp_enabled',     'iris_edge_iris_lab_lab_results_production_host_results_in_tcp_enabled',       'Lab Results Production Results.In.TCP enabled',               null,           null,      'on',                      LAB),
  row('sensor.lab_results_production_results_router_status',      'iris_edge_iris_lab_lab_results_production_host_results_router_status',        'Lab Results Production Results.Router status',                'enum',         null,      RUNNING_HOST,              LAB),
  row('sensor.lab_results_production_results_router_queue',       'iris_edge_iris_lab_lab_results_production_host_results_router_queue',         'Lab Results Production Results.Router queue',                 null,           null,      COUNT,                     LAB),
  row('sensor.lab_results_production_results_router_errors',      'iris_edge_iris_lab_lab_results_production_host_results_router_errors',        'Lab Results Production Results.Router errors',                null,           null,      DISABLED,                  LAB),
  row('sensor.lab_results_production_results_router_last_activity', 'iris_edge_iris_lab_lab_results_production_host_results_router_last_activity', 'Lab Results Production Results.Router last activity',      'timestamp',    null,      DISABLED,                  LAB),
  row('switch.lab_results_production_results_router_enabled',     'iris_edge_iris_lab_lab_results_production_host_results_router_enabled',       'Lab Results Production Results.Router enabled',               null,           null,      'on',                      LAB),
  row('sensor.lab_results_production_results_out_file_status',    'iris_edge_iris_lab_lab_results_production_host_results_out_file_status',      'Lab Results Production Results.Out.File status',              'enum',         null,      RUNNING_HOST,              LAB),
  row('sensor.lab_results_production_results_out_file_queue',     'iris_edge_iris_lab_lab_results_production_host_results_out_file_queue',       'Lab Results Production Results.Out.File queue',               null,           null,      COUNT,                     LAB),
  row('sensor.lab_results_production_results_out_file_errors',    'iris_edge_iris_lab_lab_results_production_host_results_out_file_errors',      'Lab Results Production Results.Out.File errors',              null,           null,      DISABLED,                  LAB),
  row('sensor.lab_results_production_results_out_file_last_activity', 'iris_edge_iris_lab_lab_results_production_host_results_out_file_last_activity', 'Lab Results Production Results.Out.File last activity',  'timestamp',    null,      DISABLED,                  LAB),
  row('switch.lab_results_production_results_out_file_enabled',   'iris_edge_iris_lab_lab_results_production_host_results_out_file_enabled',     'Lab Results Production Results.Out.File enabled',             null,           null,      'on',                      LAB),
  // Disabled in IRIS (not just in Home Assistant): its switch is off and it never queues.
  row('sensor.lab_results_production_results_alerts_status',      'iris_edge_iris_lab_lab_results_production_host_results_alerts_status',        'Lab Results Production Results.Alerts status',                'enum',         null,      'disabled',                LAB),
  row('sensor.lab_results_production_results_alerts_queue',       'iris_edge_iris_lab_lab_results_production_host_results_alerts_queue',         'Lab Results Production Results.Alerts queue',                 null,           null,      '0',                       LAB),
  row('sensor.lab_results_production_results_alerts_errors',      'iris_edge_iris_lab_lab_results_production_host_results_alerts_errors',        'Lab Results Production Results.Alerts errors',                null,           null,      DISABLED,                  LAB),
  row('sensor.lab_results_production_results_alerts_last_activity', 'iris_edge_iris_lab_lab_results_production_host_results_alerts_last_activity', 'Lab Results Production Results.Alerts last activity',      'timestamp',    null,      DISABLED,                  LAB),
  row('switch.lab_results_production_results_alerts_enabled',     'iris_edge_iris_lab_lab_results_production_host_results_alerts_enabled',       'Lab Results Production Results.Alerts enabled',               null,           null,      'off',                     LAB),
];
