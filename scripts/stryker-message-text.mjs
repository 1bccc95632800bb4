// A StrykerJS ignorer: mutants inside message text (see message-text.mjs) are not run; they are
// reported as ignored with this reason, which scripts/mutation.mjs counts apart.
import { declareValuePlugin, PluginKind } from '@stryker-mutator/api/plugin';
import { isProse, literalText } from './message-text.mjs';

export const MESSAGE_TEXT = 'message text';

export const strykerPlugins = [
  declareValuePlugin(PluginKind.Ignore, 'message-text', {
    shouldIgnore(path) {
      const text = literalText(path.node);
      return text !== null && isProse(text) ? MESSAGE_TEXT : undefined;
    },
  }),
];
