// Reading IPM's output: its error, declined uninstall, phase and list lines, with the colours
// IPM adds on a terminal; any text at all is read without throwing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ipmError, ipmPhase, ipmSkipped, parseInstalled } from '../../src/ipm/ipm-output.ts';

test('ERROR! lines, coloured or not', () => {
  assert.equal(ipmError(['Building dependency graph...', "\u001b[31mERROR!\u001b[0m 'x' not found in any repository."]), "'x' not found in any repository.");
  assert.equal(ipmError(['[APPS|a]\tActivate SUCCESS']), undefined);
  assert.equal(ipmError(['ERROR!']), 'IPM reported an error without a message.');
});

test('phase lines become progress steps', () => {
  assert.deepEqual(ipmPhase('[APPS|webterminal]\tCompile SUCCESS'), { module: 'webterminal', phase: 'Compile', ok: true });
  assert.deepEqual(ipmPhase('[webterminal]\tActivate FAILURE'), { module: 'webterminal', phase: 'Activate', ok: false });
  assert.equal(ipmPhase('Building dependency graph...'), undefined);
});

test('a declined uninstall', () => {
  assert.equal(ipmSkipped(['[APPS|a]\tClean SKIPPED - required by 1 other module. (b)']), 'Clean SKIPPED - required by 1 other module. (b)');
  assert.equal(ipmSkipped(['[APPS|a]\tClean SUCCESS']), undefined);
});

test('list-installed, IPM shown with its external name, noise ignored', () => {
  assert.deepEqual(parseInstalled(['IPM (zpm) 0.10.9', 'webterminal 4.9.2', 'sslclient   1.0.4\r', 'garbage line here', 'x notaversion', '']), [
    { name: 'zpm', version: '0.10.9' },
    { name: 'webterminal', version: '4.9.2' },
    { name: 'sslclient', version: '1.0.4' },
  ]);
  assert.deepEqual(parseInstalled(['zpm 0.10.9']), [{ name: 'zpm', version: '0.10.9' }]);
});

test('fuzz: any output is read without throwing', () => {
  fc.assert(
    fc.property(fc.array(fc.string({ maxLength: 200 }), { maxLength: 20 }), (lines) => {
      ipmError(lines);
      ipmSkipped(lines);
      parseInstalled(lines);
      for (const l of lines) ipmPhase(l);
    }),
  );
});
