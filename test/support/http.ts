/**
 * One HTTP call of a test, its body read once: parsed as JSON when it is JSON (the panel's
 * answers), else kept as text, with the raw bytes beside it for downloads.
 */
export interface Answer {
  status: number;
  body: any;
  raw: Buffer;
  headers: Headers;
}

/** The headers the panel wants on a JSON POST (its CSRF guard asks for x-iris-edge). */
export const JSON_POST = { 'content-type': 'application/json', 'x-iris-edge': '1' };

export async function fetchBody(url: string, init: RequestInit = {}): Promise<Answer> {
  const r = await fetch(url, init);
  const raw = Buffer.from(await r.arrayBuffer());
  const text = raw.toString('utf8');
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON: a file or a plain-text answer */
  }
  return { status: r.status, body, raw, headers: r.headers };
}
