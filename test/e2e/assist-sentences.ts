/**
 * The Assist sentences DOCS.md promises ("Voice (Assist)"), with the answer each gets for a
 * running Orders production with 3 messages waiting and 2 errors (stopped before "start"). assist.e2e.test.ts speaks every
 * form of each to the real Home Assistant; test/addon/assist-docs.test.ts holds DOCS.md's table
 * to this list, so neither can drift.
 */
export interface VoiceRow {
  /** As DOCS.md writes it: [optional] words, (either|or). */
  says: string;
  answer: string;
}

export const VOICE_ROWS: readonly VoiceRow[] = [
  { says: 'restart [the] Orders production', answer: 'Restarted Orders production. It is running.' },
  { says: '(stop|turn off) [the] Orders production', answer: 'Stopped Orders production. It is stopped.' },
  { says: '(start|turn on) [the] Orders production', answer: 'Started Orders production. It is running.' },
  { says: "(what is|what's) the status of [the] Orders production", answer: 'Orders production is running.' },
  { says: 'how is [the] Orders production doing', answer: 'Orders production is running.' },
  { says: 'is [the] Orders production troubled', answer: 'No, Orders production is running.' },
  { says: 'is [the] Orders production in trouble', answer: 'No, Orders production is running.' },
  { says: 'how many messages are (queued|waiting) in [the] Orders production', answer: '3 messages are waiting in Orders production.' },
  { says: 'how many errors does [the] Orders production have', answer: 'Orders production has 2 errors.' },
  { says: 'does [the] Orders production have errors', answer: 'Orders production has 2 errors.' },
];

/** The refusal DOCS.md quotes for a restart within the cooldown (the seconds vary). */
export const COOLDOWN_REFUSAL = 'I did not restart Orders production: it was stopped or restarted moments ago. Try again in 57 seconds.';

/** Every sentence a template stands for: "[the]" with and without, "(a|b)" each way. No nesting. */
export function expand(template: string): string[] {
  const m = /\[([^\]]+)\]|\(([^)]+)\)/.exec(template);
  if (!m) return [template.replace(/\s+/g, ' ').trim()];
  const options = m[1] !== undefined ? [m[1], ''] : (m[2] as string).split('|');
  return options.flatMap((o) => expand(template.slice(0, m.index) + o + template.slice(m.index + m[0].length)));
}
