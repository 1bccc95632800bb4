/**
 * The agent's files in this repository, which the bridge reads when it runs from the source
 * (npm start, tests) rather than from the add-on image, where the Dockerfile copies them under
 * /usr/share/iris-edge.
 */
import { existsSync } from 'node:fs';
import { installOf } from '../../model/install-dir.ts';

/** IrisEdge.Agent.cls, IrisEdge.Setup.cls and bridge-role.json. */
export const SOURCE_AGENT_DIR = new URL('rootfs/usr/share/iris-edge/agent/', installOf(import.meta.url, existsSync).dir).pathname;
