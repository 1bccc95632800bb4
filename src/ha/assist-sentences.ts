/**
 * What Assist understands about productions: the sentences, and the one Home Assistant
 * automation that carries them. A sentence trigger ("conversation" trigger) is matched before
 * Home Assistant's built-in intents (conversation/default_agent.py `_async_handle_message`), and
 * its automation can answer with `set_conversation_response`; built-in intents cannot say that a
 * stop or restart was refused, nor tell a queue from a switch. So "turn off [the] X" is taken
 * over for the productions too (in English; other languages keep the built-in one).
 *
 * The automation holds no IRIS knowledge: it fires `iris_edge_assist_request` with the question
 * (the trigger id) and speaks what the bridge sends back in `iris_edge_assist_answer`, so every
 * answer is what the bridge knows of IRIS at that moment. Pure functions of the monitor's views.
 */
import { productionAliases } from './assist.ts';

/** The questions, by the word the bridge answers them under. */
export const ASSIST_QUESTIONS = ['restart', 'stop', 'start', 'status', 'troubled', 'queue', 'errors'] as const;
export type AssistQuestion = (typeof ASSIST_QUESTIONS)[number];

/**
 * English sentence templates in hassil's syntax ([optional], (alternative|alternative));
 * `{production}` stands for the production's names. DOCS.md lists them (test/e2e/assist-sentences.ts
 * keeps the two the same).
 */
export const ASSIST_SENTENCES: Record<AssistQuestion, readonly string[]> = {
  restart: ['restart [the] {production}'],
  // Home Assistant's own "turn off" would answer "Turned off" even when the cooldown refused it.
  stop: ['(stop|turn off) [the] {production}'],
  start: ['(start|turn on) [the] {production}'],
  status: ["(what is|what's) the status of [the] {production}", 'how is [the] {production} doing'],
  troubled: ['is [the] {production} troubled', 'is [the] {production} in trouble'],
  queue: ['how many messages are (queued|waiting) in [the] {production}'],
  errors: ['how many errors does [the] {production} have', 'does [the] {production} have errors'],
};

/** The automation's id in Home Assistant (automations.yaml): one per Home Assistant. */
export const ASSIST_AUTOMATION_ID = 'iris_edge_assist';
export const EVENT_ASSIST_REQUEST = 'iris_edge_assist_request';
export const EVENT_ASSIST_ANSWER = 'iris_edge_assist_answer';
/** How long the automation waits for the bridge's answer; the bridge answers well within it. */
export const ANSWER_TIMEOUT_S = 20;
export const NO_ANSWER = 'IRIS Edge did not answer. Is the IRIS Edge app running?';

/** A production of one instance, as the sentences name it. */
export interface VoiceTarget {
  instance: string;
  namespace: string;
  name: string;
  /** Aliases its switch has in Home Assistant (IRIS Edge's and the user's). */
  aliases?: readonly (string | null)[];
}

/**
 * A name hassil can take as literal words: letters, digits and single spaces. Anything else is
 * template syntax ((|)[]{}<>) or punctuation Home Assistant refuses in a sentence trigger.
 */
export function isSpeakable(name: string): boolean {
  return name.length <= 100 && /^[\p{L}\p{N}]+( [\p{L}\p{N}]+)*$/u.test(name);
}

/** The names a production answers to: "Orders production", "Orders interface". */
export function voiceNames(className: string): string[] {
  return productionAliases(className).filter(isSpeakable);
}

/** Every name a production answers to: IRIS Edge's, then the speakable aliases of its switch. */
export function targetNames(t: VoiceTarget): string[] {
  const names: string[] = [];
  const seen = new Set<string>();
  for (const n of [...voiceNames(t.name), ...(t.aliases ?? [])]) {
    if (typeof n !== 'string' || !isSpeakable(n) || seen.has(n.toLowerCase())) continue;
    seen.add(n.toLowerCase());
    names.push(n);
  }
  return names;
}

/** How the bridge names the production in an answer: its first voice name, else its class. */
export function spokenName(className: string): string {
  return voiceNames(className)[0] ?? className;
}

/** Trigger ids carry the question and the production: "restart|iris|ORDERS|Orders.Production". */
export function triggerId(question: AssistQuestion, t: Omit<VoiceTarget, 'aliases'>): string {
  return [question, t.instance, t.namespace, t.name].join('|');
}

export function parseTriggerId(id: string): { question: AssistQuestion; target: Omit<VoiceTarget, 'aliases'> } | undefined {
  const parts = id.split('|');
  if (parts.length !== 4 || parts.some((p) => p === '')) return undefined;
  const [question, instance, namespace, name] = parts as [string, string, string, string];
  if (!(ASSIST_QUESTIONS as readonly string[]).includes(question)) return undefined;
  return { question: question as AssistQuestion, target: { instance, namespace, name } };
}

export interface Trigger {
  trigger: 'conversation';
  id: string;
  command: string[];
}

/**
 * The sentence triggers of `targets`. A name two productions share (the same class in two
 * namespaces or instances) would start both: it is left out, and `ambiguous` lists it.
 */
export function sentenceTriggers(targets: VoiceTarget[]): { triggers: Trigger[]; ambiguous: string[] } {
  const owners = new Map<string, number>();
  for (const t of targets) for (const n of targetNames(t).map((x) => x.toLowerCase())) owners.set(n, (owners.get(n) ?? 0) + 1);
  const ambiguous = [...owners].filter(([, n]) => n > 1).map(([name]) => name);
  const triggers: Trigger[] = [];
  for (const t of targets) {
    const names = targetNames(t).filter((n) => owners.get(n.toLowerCase()) === 1);
    if (names.length === 0) continue;
    const alternatives = `(${names.join('|')})`;
    for (const q of ASSIST_QUESTIONS) {
      triggers.push({ trigger: 'conversation', id: triggerId(q, t), command: ASSIST_SENTENCES[q].map((s) => s.replace('{production}', alternatives)) });
    }
  }
  return { triggers, ambiguous: ambiguous.sort() };
}

/** The automation, as POST /api/config/automation/config/<id> takes it and GET returns it. */
export function assistAutomation(triggers: Trigger[]): Record<string, unknown> {
  return {
    id: ASSIST_AUTOMATION_ID,
    alias: 'IRIS Edge voice',
    description:
      'Lets Assist restart IRIS productions and answer questions about them. Made and kept up to date by the IRIS Edge app (option expose_to_assist); changes made here are overwritten. Turning the option off removes it.',
    triggers,
    actions: [
      { event: EVENT_ASSIST_REQUEST, event_data: { request: '{{ context.id }}', ask: '{{ trigger.id }}' } },
      {
        wait_for_trigger: [{ trigger: 'event', event_type: EVENT_ASSIST_ANSWER, event_data: { request: '{{ context.id }}' } }],
        timeout: ANSWER_TIMEOUT_S,
        continue_on_timeout: true,
      },
      { set_conversation_response: `{{ wait.trigger.event.data.speech if wait.trigger else '${NO_ANSWER}' }}` },
    ],
    // Two people may ask at once; each run waits for its own answer.
    mode: 'parallel',
    max: 10,
  };
}
