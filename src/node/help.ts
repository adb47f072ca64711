/**
 * `chainsnap node --help`: bitcoind's help layout (ArgsManager::GetHelpMessage: groups, two-space option,
 * text wrapped at 79 columns with a 7-space indent), listing only what chainsnap implements.
 */
import { readFileSync } from 'node:fs';
import { FLAG, OPTIONS, type HelpGroup } from './option-table.js';

/** chainsnap's version, from the package root's package.json (this file runs from dist/src/node/). */
export function chainsnapVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** What -version prints (Core: the version line, then the licence). */
export function versionText(version = chainsnapVersion()): string {
  return `chainsnap daemon version v${version}\nCopyright (C) the chainsnap authors. MIT licence.\n`;
}

const GROUPS: [HelpGroup, string][] = [
  ['options', 'Options:'],
  ['chain', 'Chain selection options:'],
  ['rpc', 'RPC server options:'],
  ['debug', 'Debugging/Testing options:'],
  ['chainsnap', 'chainsnap options:'],
];

const WIDTH = 79;
const OPT_INDENT = 2;
const MSG_INDENT = 7;

/** Core's FormatParagraph: greedy wrap at `width`, continuation lines indented. */
function formatParagraph(text: string, width: number, indent: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines.join('\n' + ' '.repeat(indent));
}

export function helpText(showDebug = false, version = chainsnapVersion()): string {
  const intro =
    'chainsnap node is a Bitcoin chainstate daemon built around assumeutxo. It speaks bitcoind\'s command line, ' +
    'configuration files and JSON-RPC. Options of bitcoind that chainsnap does not implement are either accepted ' +
    'and logged as having no effect (when harmless) or refused.';
  let out =
    `chainsnap daemon version v${version}\n\n${formatParagraph(intro, WIDTH, 0)}\n\n` +
    'Usage: chainsnap node [options]   (also installed as chainsnapd)\n\n';
  for (const [group, title] of GROUPS) {
    const specs = [...OPTIONS.values()]
      .filter((o) => o.group === group && o.support === 'implemented' && o.help && (showDebug || !(o.flags & FLAG.DEBUG_ONLY)))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    if (specs.length === 0) continue;
    out += `${title}\n\n`;
    for (const o of specs) {
      out += `${' '.repeat(OPT_INDENT)}-${o.name}${o.param}\n${' '.repeat(MSG_INDENT)}${formatParagraph(o.help ?? '', WIDTH - MSG_INDENT, MSG_INDENT)}\n\n`;
    }
  }
  return out;
}
