/**
 * The privileged path for apps on the simulated instance: every step as the instance's owner
 * (irisowner, %All), the process `iris session` gives the add-on, never the bridge's user.
 */
import type { AppsRunner } from '../../model/ipm.ts';
import type { SimulatedIris } from './server.ts';

/** A word for an IPM command line: quoted, a quote doubled (the simulated IPM's ipmWords reads it back). */
const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;

export function simulatedAppsRunner(iris: SimulatedIris): AppsRunner {
  return {
    namespaces: async () => iris.namespaces().map((n) => ({ name: n.name, interop: n.interop })),
    createNamespace: async (name, interop) => iris.createNamespace(name, interop),
    deleteNamespace: async (name) => iris.deleteNamespace(name),
    loadIpmInstaller: async (namespace, version) => iris.ipm.loadInstaller(iris.ownerProcess(), namespace, version),
    setRegistry: async (namespace, repo, out) => {
      const creds = repo.credentials ? ` -user ${quote(repo.credentials.username)} -pass ${quote(repo.credentials.password)}` : '';
      await iris.ipm.shell(iris.ownerProcess(), namespace, `repo -r -n registry -url ${quote(repo.url)}${creds}`, out);
    },
    zpm: (namespace, command, out) => iris.ipm.shell(iris.ownerProcess(), namespace, command, out),
  };
}
