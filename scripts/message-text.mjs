// What counts as message text for the mutation scores: a string written for a person to read
// (an error, a note, a lint finding), as opposed to a word another program reads (a state, a
// topic, a JSON key, an error code). Mutants inside message text are counted apart: a test that
// pinned every sentence would pin wording, not behaviour.

/** The prose test on a literal's static text (a template's ${} parts are no words). */
export function isProse(text) {
  // Home Assistant templates are code, however many words they hold.
  if (text.includes('{{')) return false;
  const words = text.split(/\s+/).filter((w) => /[A-Za-z]/.test(w));
  const sentence = /^[A-Z"]/.test(text.trim()) && /[.:]$/.test(text.trim());
  return words.length >= 4 || (words.length >= 3 && /[.:!?)]$/.test(text.trim())) || (sentence && words.length >= 2);
}

/** The static text of a string or template literal as Babel parsed it; null for anything else. */
export function literalText(node) {
  if (node.type === 'StringLiteral') return node.value;
  if (node.type === 'TemplateLiteral') return node.quasis.map((q) => q.value.cooked ?? q.value.raw).join(' … ');
  return null;
}

/** The same, from a literal's source code, for mutants a report lists without an AST. */
export function sourceLiteralText(code) {
  const c = code.trim();
  if (/^(['"]).*\1$/s.test(c)) return c.slice(1, -1);
  if (/^`.*`$/s.test(c)) return c.slice(1, -1).replace(/\$\{[^}]*\}/g, ' … ');
  return null;
}
