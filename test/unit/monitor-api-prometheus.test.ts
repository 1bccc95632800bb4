import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePrometheus, parsePromLine, parsePromValue } from '../../src/iris/monitor-api/prometheus.ts';

/**
 * Shaped like IRIS's /api/monitor/metrics answer: metric names and labels from research/iris.md §3.2
 * (GCM_rest "Metric Descriptions"), no HELP/TYPE lines and dot-leading fractions as in the IRIS for
 * Health 2024.1 capture (§3.1). Written for this project, values invented.
 */
const IRIS_CAPTURE = `iris_cpu_pct{id="CSPSRV"} 0
iris_cpu_pct{id="GARCOL"} 0
iris_cpu_pct{id="JRNDMN"} 0
iris_cpu_pct{id="LICENSESRV"} 0
iris_cpu_pct{id="WRTDMN"} .5
iris_cpu_usage 7
iris_csp_activity{id="127.0.0.1:52773"} 1583
iris_csp_sessions 3
iris_cache_efficiency 1745.32
iris_db_free_space{id="IRISSYS",dir="/usr/irissys/mgr/"} 23
iris_db_free_space{id="IRISTEMP",dir="/usr/irissys/mgr/iristemp/"} NaN
iris_db_free_space{id="USER",dir="/usr/irissys/mgr/user/"} 9.5
iris_db_latency{id="IRISSYS"} .051929
iris_db_size_mb{id="IRISSYS",dir="/usr/irissys/mgr/"} 161
iris_db_size_mb{id="IRISTEMP",dir="/usr/irissys/mgr/iristemp/"} 51
iris_db_size_mb{id="USER",dir="/usr/irissys/mgr/user/"} 31
iris_directory_space{id="USER",dir="/usr/irissys/mgr/user/"} 41920
iris_disk_percent_full{id="IRISSYS",dir="/usr/irissys/mgr/"} 37.12
iris_disk_percent_full{id="USER",dir="/data/iris/mgr/user/"} 61.4
iris_glo_ref_per_sec 412
iris_glo_update_per_sec 38
iris_jrn_free_space{id="WIJ",dir="default"} 41920
iris_jrn_free_space{id="primary",dir="/usr/irissys/mgr/journal/"} 41899
iris_jrn_free_space{id="secondary",dir="/usr/irissys/mgr/journal/"} 41920
iris_jrn_size{id="primary"} 1
iris_license_available 6
iris_license_consumed 2
iris_license_days_remaining 214
iris_license_percent_used 25
iris_phys_mem_percent_used 41.07
iris_process_count 41
iris_system_alerts 0
iris_system_alerts_new 0
iris_system_state 0
iris_trans_open_count 1
iris_trans_open_secs .25
iris_trans_open_secs_max 3
iris_wd_cycle_time 4
iris_wd_sleep 10006
`;

describe('Prometheus text parser', () => {
  it('reads a realistic IRIS answer without HELP/TYPE lines, every line a sample', () => {
    const r = parsePrometheus(IRIS_CAPTURE);
    assert.equal(r.skipped, 0);
    assert.equal(r.samples.length, IRIS_CAPTURE.trim().split('\n').length);
    const latency = r.samples.find((s) => s.name === 'iris_db_latency');
    assert.deepEqual(latency, { name: 'iris_db_latency', labels: { id: 'IRISSYS' }, value: 0.051929 });
    const db = r.samples.find((s) => s.name === 'iris_db_size_mb' && s.labels.id === 'USER');
    assert.deepEqual(db?.labels, { id: 'USER', dir: '/usr/irissys/mgr/user/' });
    assert.equal(db?.value, 31);
    assert.ok(Number.isNaN(r.samples.find((s) => s.name === 'iris_db_free_space' && s.labels.id === 'IRISTEMP')?.value));
  });

  it('accepts values written with a leading dot, signs, exponents, NaN and infinities', () => {
    assert.equal(parsePromValue('.051929'), 0.051929);
    assert.equal(parsePromValue('-.5'), -0.5);
    assert.equal(parsePromValue('+3'), 3);
    assert.equal(parsePromValue('12.'), 12);
    assert.equal(parsePromValue('1.5e3'), 1500);
    assert.equal(parsePromValue('2E-2'), 0.02);
    assert.ok(Number.isNaN(parsePromValue('NaN')));
    assert.equal(parsePromValue('+Inf'), Number.POSITIVE_INFINITY);
    assert.equal(parsePromValue('-Inf'), Number.NEGATIVE_INFINITY);
    for (const bad of ['', '.', '-', '1.2.3', '0x10', 'abc', '1,5', '12abc']) assert.equal(parsePromValue(bad), null, bad);
  });

  it('unescapes quotes, backslashes and newlines in label values, and keeps commas and braces', () => {
    const s = parsePromLine('iris_sample{id="say \\"hi\\"",dir="C:\\\\InterSystems\\\\mgr\\\\",note="a,b}c\\nd"} 1');
    assert.deepEqual(s?.labels, { id: 'say "hi"', dir: 'C:\\InterSystems\\mgr\\', note: 'a,b}c\nd' });
    assert.equal(s?.value, 1);
  });

  it('accepts a trailing comma, spaces around labels, an empty label set and a timestamp', () => {
    assert.deepEqual(parsePromLine('m{a="1",} 2')?.labels, { a: '1' });
    assert.deepEqual(parsePromLine('m { a = "1" , b="2" } 2'), { name: 'm', labels: { a: '1', b: '2' }, value: 2 });
    assert.deepEqual(parsePromLine('m{} 2'), { name: 'm', labels: {}, value: 2 });
    assert.deepEqual(parsePromLine('m 7 1700000000000'), { name: 'm', labels: {}, value: 7 });
    assert.equal(parsePromLine('m\t7')?.value, 7);
  });

  it('skips and counts garbage lines, ignores blank lines and comments, and keeps the good ones', () => {
    const text = [
      '# HELP iris_cpu_usage CPU',
      '# TYPE iris_cpu_usage gauge',
      'iris_cpu_usage 12',
      '',
      '   ',
      '<html><body>Service Unavailable</body></html>',
      'iris_broken{id="x" 3',
      'iris_unterminated{id="x} 3',
      'iris_novalue',
      'iris_two_values 1 2 3',
      'iris_bad_ts 1 yesterday',
      'iris_word_value{id="a"} many',
      '9starts_with_digit 1',
      'iris_phys_mem_percent_used .5\r',
    ].join('\n');
    const r = parsePrometheus(text);
    assert.deepEqual(r.samples.map((s) => [s.name, s.value]), [['iris_cpu_usage', 12], ['iris_phys_mem_percent_used', 0.5]]);
    assert.equal(r.skipped, 8);
    assert.equal(r.skippedExamples.length, 3);
    assert.equal(r.skippedExamples[0], '<html><body>Service Unavailable</body></html>');
  });

  it('returns nothing, not an error, for an empty body', () => {
    assert.deepEqual(parsePrometheus(''), { samples: [], skipped: 0, skippedExamples: [] });
  });

  it('truncates long skipped lines in its examples', () => {
    const r = parsePrometheus('x'.repeat(500));
    assert.equal(r.skipped, 1);
    assert.ok(r.skippedExamples[0]!.length <= 120);
  });
});
