/**
 * The outboxes of IrisEdge.HA.Home in the simulated instance: ^IrisEdge.HA.Outbox of each
 * namespace, with the calls ObjectScript code made (`request`, which is what IrisEdge.HA.Home's
 * Request does in a production's process), the bridge's side (`take`, `answer`) and the waiting
 * process woken by $SYSTEM.Event.Signal. Follows rootfs/usr/share/iris-edge/agent/IrisEdge.HA.Home.cls.
 *
 * [EVT] %SYSTEM.Event: Wait("", timeout) waits on the process's own event; Signal(pid) wakes it.
 * [STS] $$$ERROR($$$GeneralError, text) is "ERROR #5001: <text>" (%SYSTEM.Status.GetErrorText).
 */

export interface OutboxCall {
  id: number;
  request: string;
  pid: string;
  /** UTC seconds. */
  deadline: number;
}

/** What a caller of IrisEdge.HA.Home gets: the %Status (ok, or its error text) and the reply. */
export interface HomeCallResult {
  ok: boolean;
  text: string;
  reply: Record<string, unknown> | null;
}

interface NamespaceOutbox {
  req: Map<number, OutboxCall>;
  taken: Map<number, OutboxCall>;
  waiters: Map<number, (answer: string) => void>;
}

export class SimulatedHaOutbox {
  private next = 0;
  private readonly boxes = new Map<string, NamespaceOutbox>();

  constructor(private readonly now: () => Date) {}

  private box(ns: string): NamespaceOutbox {
    let b = this.boxes.get(ns);
    if (!b) this.boxes.set(ns, (b = { req: new Map(), taken: new Map(), waiters: new Map() }));
    return b;
  }

  /** UTC seconds, as $ZTIMESTAMP gives them. */
  seconds(): number {
    return this.now().getTime() / 1000;
  }

  /** IrisEdge.HA.Home.Request in a process of namespace `ns`: writes the call and waits for the answer or the deadline. */
  request(ns: string, request: Record<string, unknown>, timeoutSeconds: number): Promise<HomeCallResult> {
    const b = this.box(ns);
    this.next += 1;
    const id = this.next;
    b.req.set(id, { id, request: JSON.stringify(request), pid: String(40_000 + id), deadline: this.seconds() + timeoutSeconds });
    return new Promise((resolve) => {
      const finish = (answer: string | undefined) => {
        clearTimeout(timer);
        b.req.delete(id);
        b.taken.delete(id);
        b.waiters.delete(id);
        if (answer === undefined) {
          resolve({ ok: false, text: `ERROR #5001: Home Assistant did not answer within ${timeoutSeconds} s (is the IRIS Edge app running?)`, reply: null });
          return;
        }
        let reply: Record<string, unknown>;
        try {
          reply = JSON.parse(answer) as Record<string, unknown>;
        } catch {
          resolve({ ok: false, text: "ERROR #5035: General exception Name 'Parsing error' Code '3' Data ''", reply: null });
          return;
        }
        resolve(reply.ok === true ? { ok: true, text: '', reply } : { ok: false, text: `ERROR #5001: ${String(reply.text)}`, reply });
      };
      const timer = setTimeout(() => finish(undefined), timeoutSeconds * 1000);
      b.waiters.set(id, finish);
    });
  }

  hasWaiting(ns: string): boolean {
    return (this.boxes.get(ns)?.req.size ?? 0) > 0;
  }

  /** IrisEdge.Agent.TakeFrom: up to `max` waiting calls move to "taken", oldest first. */
  take(ns: string, max: number): OutboxCall[] {
    const b = this.box(ns);
    const out: OutboxCall[] = [];
    for (const call of [...b.req.values()].sort((x, y) => x.id - y.id)) {
      if (out.length >= max) break;
      b.req.delete(call.id);
      b.taken.set(call.id, call);
      out.push(call);
    }
    return out;
  }

  /** IrisEdge.Agent.AnswerHaCall: the answer reaches a call still taken; false when its caller withdrew it. */
  answer(ns: string, id: number, answer: string): boolean {
    const b = this.box(ns);
    if (!b.taken.has(id)) return false;
    b.taken.delete(id);
    // [EVT] Signal(pid) wakes the waiting process, which reads the answer.
    b.waiters.get(id)?.(answer);
    return true;
  }
}
