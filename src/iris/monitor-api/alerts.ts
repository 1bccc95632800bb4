/**
 * /api/monitor/alerts: the JSON array of system alerts posted since the endpoint was last read
 * (docs.intersystems.com KEY=GCM_rest, "/alerts Endpoint"; research/iris.md §3.1). Pure parsing.
 *
 * CONSUME ON READ: IRIS hands each alert to ONE reader and then forgets it (iris_system_alerts_new
 * drops to 0 after the read). The bridge must be the only reader of this endpoint; anything else
 * that reads it (a Prometheus/SAM scraper of /alerts, a second bridge) silently steals alerts from
 * Home Assistant. The durable copy stays in install-dir/mgr/alerts.log and messages.log.
 */
import { z } from 'zod';
import { severityWord, type IrisAlert } from '../../model/alerts.ts';
import { IrisContractError } from '../../model/errors.ts';

const AlertSchema = z.object({
  time: z.string(),
  // IRIS writes a numeric string ("2"); accept a number too.
  severity: z.union([z.string().regex(/^-?\d+$/), z.number().int()]),
  message: z.string(),
});
const AlertsSchema = z.array(AlertSchema);

/** Parses an /alerts body. An empty body means no alerts; anything else unexpected is a contract error. */
export function parseAlerts(body: string, source = '/api/monitor/alerts'): IrisAlert[] {
  if (body.trim() === '') return [];
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (e) {
    const head = body.trim().slice(0, 80);
    throw new IrisContractError(`IRIS answered ${source} with something that is not JSON ("${head}"): ${(e as Error).message}`, { cause: e });
  }
  const parsed = AlertsSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'unexpected shape';
    throw new IrisContractError(`IRIS answered ${source} with JSON that is not a list of alerts {time, severity, message} (${where})`);
  }
  return parsed.data.map((a, i) => {
    const t = Date.parse(a.time);
    if (Number.isNaN(t)) throw new IrisContractError(`alert ${i} from ${source} has an unreadable time "${a.time}"`);
    const severity = typeof a.severity === 'number' ? a.severity : Number(a.severity);
    return { time: new Date(t).toISOString(), severity, severityWord: severityWord(severity), message: a.message };
  });
}
