/**
 * The agent's files in this repository, which the bridge reads when it runs from the source
 * (npm start, tests) rather than from the add-on image, where the Dockerfile copies them under
 * /usr/share/iris-edge.
 */

/** IrisEdge.Agent.cls, IrisEdge.Setup.cls and bridge-role.json. */
export const SOURCE_AGENT_DIR = new URL('../../../rootfs/usr/share/iris-edge/agent/', import.meta.url).pathname;
