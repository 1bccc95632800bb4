/**
 * `node dist/backups/recover-cli.js <state dir>`: finishes or undoes a restore that an
 * interrupted bridge left, before IRIS starts (the add-on's iris service runs it). A restore IRIS
 * already ran on is left as it is: the bridge makes its safety backup and finishes it. Exit 0 when
 * there was nothing to do or it was done or left to the bridge; 1 with the reason on stderr
 * otherwise.
 */
import { recoverRestore, safetyPendingMessage } from './restore.ts';

const stateDir = process.argv[2];
if (!stateDir) {
  process.stderr.write('usage: recover-cli <state dir>\n');
  process.exit(2);
}
try {
  const r = await recoverRestore(stateDir);
  if (r?.action === 'safety-pending') process.stdout.write(`${safetyPendingMessage(r.id)}.\n`);
  else if (r) process.stdout.write(`The interrupted restore of ${r.id} was ${r.action === 'rolled-back' ? 'undone: the previous database files are back' : 'finished'}.\n`);
} catch (err) {
  process.stderr.write(`Could not recover the interrupted restore: ${(err as Error).message}\n`);
  process.exit(1);
}
