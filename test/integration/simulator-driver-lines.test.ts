/**
 * The simulator's Native API driver reads its replies as lines however TCP cuts them: a line in
 * many pieces, several lines in one piece, a cut just before or after a newline. A server on
 * loopback answers the driver's requests with all its replies at once, cut where fast-check says.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import fc from 'fast-check';
import { createConnection } from '../../src/iris/simulator/driver.ts';
import { within } from '../support/fixtures.ts';

/** Replies to `calls` calls after the login: the call's number as a string of `sizes[i]` digits. */
async function roundTrip(sizes: number[], cuts: number[]): Promise<unknown[]> {
  let socket: Socket | undefined;
  const server = createServer((s) => {
    socket = s;
    s.setNoDelay(true);
    let seen = '';
    s.on('data', (d) => {
      seen += String(d);
      const requests = seen.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id: number; op: string });
      if (requests.length === 1 && requests[0]?.op === 'connect') {
        s.write(`${JSON.stringify({ id: requests[0].id, ok: true, value: 1 })}\n`);
        seen = '';
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const { port } = server.address() as AddressInfo;
    const conn = await createConnection({ host: '127.0.0.1', port, ns: '%SYS', user: 'u', pwd: 'p', timeout: 5 });
    const iris = conn.createIris();
    const answers = Promise.all(sizes.map(() => iris.classMethodValue('C', 'M')));
    await sleep(20);
    const text = sizes.map((size, i) => `${JSON.stringify({ id: i + 2, ok: true, value: String(i).repeat(size) })}\n`).join('');
    let from = 0;
    for (const at of [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b)) {
      socket?.write(text.slice(from, at));
      from = at;
      // Apart in time, so that the driver sees them as separate reads.
      await sleep(2);
    }
    socket?.write(text.slice(from));
    try {
      // A reply lost or mangled leaves its call waiting: that fails here, not by hanging.
      return await within(answers, 5000, 'every reply');
    } finally {
      conn.close();
    }
  } finally {
    server.close();
  }
}

test('replies cut anywhere, and several in one read, each reach their call whole', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 8 }), async (sizes, cuts) => {
      const got = await roundTrip(sizes, cuts);
      assert.deepEqual(got, sizes.map((size, i) => String(i).repeat(size)));
    }),
    { numRuns: 40 },
  );
});

test('a cut on each side of every newline', async () => {
  const sizes = [5, 70_000, 0];
  const text = sizes.map((size, i) => `${JSON.stringify({ id: i + 2, ok: true, value: String(i).repeat(size) })}\n`).join('');
  const newlines = [...text.matchAll(/\n/g)].map((m) => m.index);
  const got = await roundTrip(sizes, newlines.flatMap((n) => [n, n + 1]));
  assert.deepEqual(got, sizes.map((size, i) => String(i).repeat(size)));
});
