import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InstanceMetrics } from '../../src/model/instance-health.ts';
import { licenseExpiryFrom, systemStateWord, toInstanceMetrics } from '../../src/iris/monitor-api/metrics.ts';
import { parsePrometheus } from '../../src/iris/monitor-api/prometheus.ts';

const NOW = new Date('2026-11-22T03:30:00.000Z');

function map(text: string, now = NOW): InstanceMetrics {
  return toInstanceMetrics(parsePrometheus(text).samples, now);
}

const FULL = `iris_system_state 1
iris_cpu_usage 7
iris_phys_mem_percent_used 41.07
iris_license_consumed 2
iris_license_available 6
iris_license_percent_used 25
iris_license_days_remaining 214
iris_db_size_mb{id="IRISSYS",dir="/usr/irissys/mgr/"} 161
iris_db_size_mb{id="IRISTEMP",dir="/usr/irissys/mgr/iristemp/"} 51
iris_db_size_mb{id="USER",dir="/usr/irissys/mgr/user/"} 31
iris_db_free_space{id="IRISSYS",dir="/usr/irissys/mgr/"} 23
iris_db_free_space{id="IRISTEMP",dir="/usr/irissys/mgr/iristemp/"} NaN
iris_disk_percent_full{id="IRISSYS",dir="/usr/irissys/mgr/"} 37.12
iris_disk_percent_full{id="USER",dir="/data/iris/mgr/user/"} 61.4
iris_jrn_free_space{id="WIJ",dir="default"} 41920
iris_jrn_free_space{id="primary",dir="/usr/irissys/mgr/journal/"} 41899
iris_jrn_free_space{id="secondary",dir="/usr/irissys/mgr/journal/"} 12
iris_glo_ref_per_sec 412
iris_glo_update_per_sec 38
iris_cache_efficiency 1745.32
iris_wd_cycle_time 4
iris_trans_open_count 1
iris_trans_open_secs_max .25
iris_process_count 41
iris_csp_sessions 3
`;

describe('instance metrics from /api/monitor samples', () => {
  it('maps every figure the sensors need', () => {
    const m = map(FULL);
    assert.deepEqual(m, {
      systemState: 1,
      systemStateWord: 'warning',
      cpuPercent: 7,
      memoryUsedPercent: 41.07,
      licenseConsumed: 2,
      licenseAvailable: 6,
      licensePercentUsed: 25,
      licenseDaysRemaining: 214,
      licenseExpiry: '2027-06-24T00:00:00.000Z',
      databases: [
        { name: 'IRISSYS', directory: '/usr/irissys/mgr/', sizeMb: 161, freeMb: 23 },
        { name: 'IRISTEMP', directory: '/usr/irissys/mgr/iristemp/', sizeMb: 51, freeMb: null },
        { name: 'USER', directory: '/usr/irissys/mgr/user/', sizeMb: 31, freeMb: null },
      ],
      diskPercentFull: 61.4,
      journalFreeMb: 41899,
      wijFreeMb: 41920,
      globalRefsPerSec: 412,
      globalUpdatesPerSec: 38,
      cacheEfficiency: 1745.32,
      writeDaemonCycleTime: 4,
      openTransactions: 1,
      longestOpenTransactionSecs: 0.25,
      processCount: 41,
      cspSessions: 3,
      interop: [],
    });
  });

  it('gives null, never 0, for every metric IRIS did not report', () => {
    const m = map('iris_wd_sleep 10006\n');
    const { databases, interop, ...scalars } = m;
    assert.deepEqual(databases, []);
    assert.deepEqual(interop, []);
    for (const [k, v] of Object.entries(scalars)) assert.equal(v, null, k);
  });

  it('treats NaN and infinities as unknown', () => {
    const m = map('iris_cpu_usage NaN\niris_phys_mem_percent_used +Inf\niris_disk_percent_full{id="A"} NaN\niris_disk_percent_full{id="B"} 12\n');
    assert.equal(m.cpuPercent, null);
    assert.equal(m.memoryUsedPercent, null);
    assert.equal(m.diskPercentFull, 12);
  });

  it('reads the journal and WIJ volumes by their id label, whatever their case', () => {
    const m = map('iris_jrn_free_space{id="wij"} 5\niris_jrn_free_space{id="PRIMARY"} 7\n');
    assert.equal(m.wijFreeMb, 5);
    assert.equal(m.journalFreeMb, 7);
    assert.equal(map('iris_jrn_free_space{id="secondary"} 9\n').journalFreeMb, null);
  });

  it('words the System Monitor health state', () => {
    // %SYSTEM.Monitor.State(): -1 hung, 0 OK, 1 warning, 2 alert; nothing else is documented.
    assert.deepEqual([0, 1, 2, 3, -1, 7, null].map(systemStateWord), ['ok', 'warning', 'alert', null, 'hung', null, null]);
    assert.equal(map('iris_system_state 2\n').systemStateWord, 'alert');
  });

  it('dates the licence expiry to a day, with a timezone, stable across the scrapes of a day', () => {
    const morning = licenseExpiryFrom(10, new Date('2026-11-22T00:00:01Z'));
    const evening = licenseExpiryFrom(10, new Date('2026-11-22T23:59:59Z'));
    assert.equal(morning, '2026-12-02T00:00:00.000Z');
    assert.equal(evening, morning);
    assert.equal(licenseExpiryFrom(0, NOW), '2026-11-22T00:00:00.000Z');
    assert.equal(licenseExpiryFrom(-3, NOW), '2026-11-19T00:00:00.000Z');
    assert.equal(licenseExpiryFrom(null, NOW), null);
    assert.equal(licenseExpiryFrom(Number.NaN, NOW), null);
  });

  it('groups interop metrics per production, summing hosts, with the namespace from the id label', () => {
    const m = map(`iris_interop_hosts{id="ORDERS",status="OK",production="Orders.Production"} 3
iris_interop_hosts{id="ORDERS",status="Error",production="Orders.Production"} 1
iris_interop_messages{id="ORDERS",host="Orders.In",production="Orders.Production"} 100
iris_interop_messages{id="ORDERS",host="Orders.Out",production="Orders.Production"} 40
iris_interop_messages_errored{production="Orders.Production"} 2
iris_interop_queued{id="ORDERS",production="Orders.Production"} 5
iris_interop_hosts{id="LAB",status="OK",production="Lab.Production"} 2
iris_interop_messages_errored{production="Quiet.Production"} 0
`);
    assert.deepEqual(m.interop, [
      { production: 'Orders.Production', namespace: 'ORDERS', queued: 5, errored: 2, messages: 140 },
      { production: 'Lab.Production', namespace: 'LAB', queued: null, errored: null, messages: null },
      { production: 'Quiet.Production', namespace: null, queued: null, errored: 0, messages: null },
    ]);
  });

  it('keeps productions of the same name in different namespaces apart', () => {
    const m = map(`iris_interop_queued{id="A",production="P"} 1
iris_interop_queued{id="B",production="P"} 2
`);
    assert.deepEqual(m.interop.map((p) => [p.namespace, p.queued]), [['A', 1], ['B', 2]]);
  });

  it('ignores database series without an id label and reports the first of duplicates', () => {
    const m = map('iris_db_size_mb{dir="/x/"} 5\niris_db_size_mb{id="USER"} 3\niris_db_size_mb{id="USER"} 4\n');
    assert.deepEqual(m.databases, [{ name: 'USER', directory: null, sizeMb: 3, freeMb: null }]);
  });
});
