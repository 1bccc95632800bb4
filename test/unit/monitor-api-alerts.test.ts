import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { severityWord } from '../../src/model/alerts.ts';
import { parseAlerts } from '../../src/iris/monitor-api/alerts.ts';
import { IrisContractError } from '../../src/model/errors.ts';

describe('/api/monitor/alerts parsing', () => {
  it('reads the documented shape: numeric-string severity, ISO time', () => {
    const alerts = parseAlerts('[{"time":"2022-10-07T07:19:55.997Z","severity":"2","message":"Write daemon is hung"}]');
    assert.deepEqual(alerts, [{ time: '2022-10-07T07:19:55.997Z', severity: 2, severityWord: 'severe', message: 'Write daemon is hung' }]);
  });

  it('accepts numeric severities and normalises times to UTC with a timezone', () => {
    const [a] = parseAlerts('[{"time":"2022-10-07T09:19:55+02:00","severity":1,"message":"m"}]');
    assert.equal(a?.time, '2022-10-07T07:19:55.000Z');
    assert.equal(a?.severityWord, 'warning');
  });

  it('words severities 0..3 (UNVERIFIED mapping) and clamps the rest', () => {
    assert.deepEqual([-1, 0, 1, 2, 3, 4].map(severityWord), ['info', 'info', 'warning', 'severe', 'fatal', 'fatal']);
  });

  it('reads an empty array or empty body as no alerts', () => {
    assert.deepEqual(parseAlerts('[]'), []);
    assert.deepEqual(parseAlerts('  \n'), []);
  });

  it('rejects non-JSON, the wrong shape and unreadable times with a contract error naming the source', () => {
    assert.throws(() => parseAlerts('<html>login</html>', 'http://iris/api/monitor/alerts'), (e: unknown) => e instanceof IrisContractError && /not JSON/.test(e.message) && /<html>login/.test(e.message));
    assert.throws(() => parseAlerts('{"time":"x"}'), (e: unknown) => e instanceof IrisContractError && /list of alerts/.test(e.message));
    assert.throws(() => parseAlerts('[{"time":"2022-10-07T07:19:55Z","severity":"high","message":"m"}]'), IrisContractError);
    assert.throws(() => parseAlerts('[{"time":"2022-10-07T07:19:55Z","severity":"1"}]'), /message/);
    assert.throws(() => parseAlerts('[{"time":"yesterday","severity":"1","message":"m"}]'), /unreadable time/);
  });
});
