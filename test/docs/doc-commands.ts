/**
 * The commands shown in the Markdown docs, and the output shown with them. The convention (docs/cli.md,
 * "Examples are tested"):
 * - In a fenced code block, a line starting with `$ ` is a command; a line ending in `\` continues it.
 *   The lines after it, up to the next command or the end of the block, are its output (stdout and stderr
 *   as a terminal would interleave them). A block with no `$ ` line (a synopsis, a config file) is not run.
 * - In shown output, a line `...` stands for any number of lines, and `…` within a line for any text.
 * - A command succeeds (status 0) unless its output shows an error line; `echo $?` shows the status itself.
 * - `<!-- doc-test: skip (reason) -->` on the line before a block skips it (a daemon, a rebuild).
 */

export interface DocCommand {
  /** The command as a shell would run it (continuations joined). */
  command: string;
  /** The output shown after it, as lines (trailing blank lines removed). */
  output: string[];
  /** 1-based line of the `$ ` in the Markdown. */
  line: number;
}

export interface DocBlock {
  line: number;
  commands: DocCommand[];
  skip?: string;
}

const SKIP = /^<!--\s*doc-test:\s*skip\s*\((.+)\)\s*-->$/;

/** Blocks of `markdown` that hold commands, in order. */
export function docBlocks(markdown: string): DocBlock[] {
  const lines = markdown.split('\n');
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^(\s*)(`{3,}|~{3,})/.exec(lines[i]);
    if (!fence) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i].trimStart().startsWith(fence[2]); i++) body.push(lines[i].slice(fence[1].length));
    if (!body.some((l) => l.startsWith('$ '))) continue;
    let before = start - 1;
    while (before >= 0 && lines[before].trim() === '') before--;
    const skip = before >= 0 ? SKIP.exec(lines[before].trim())?.[1] : undefined;
    blocks.push({ line: start + 1, commands: parseCommands(body, start + 2), skip });
  }
  return blocks;
}

function parseCommands(body: string[], firstLine: number): DocCommand[] {
  const commands: DocCommand[] = [];
  for (let i = 0; i < body.length; i++) {
    const text = body[i];
    if (!text.startsWith('$ ')) {
      if (commands.length === 0) throw new Error(`line ${firstLine + i}: output before the first command of the block`);
      commands[commands.length - 1].output.push(text.trimEnd());
      continue;
    }
    const line = firstLine + i;
    let command = text.slice(2);
    while (command.endsWith("\\") && i + 1 < body.length) command = `${command.slice(0, -1).trimEnd()} ${body[++i].trim()}`;
    commands.push({ command: command.trim(), output: [], line });
  }
  for (const c of commands) while (c.output.length > 0 && c.output[c.output.length - 1] === '') c.output.pop();
  return commands;
}

/** Whether `actual` lines are what `shown` shows, `...` and `…` standing for what varies. */
export function outputMatches(shown: string[], actual: string[]): boolean {
  const line = shown.map((s) => (s === '...' ? undefined : new RegExp(`^${s.split('…').map(escape).join('.*')}$`)));
  // memo[i][j]: shown[i..] matches actual[j..]
  const memo = new Map<number, boolean>();
  const match = (i: number, j: number): boolean => {
    if (i === shown.length) return j === actual.length;
    const key = i * (actual.length + 1) + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    const re = line[i];
    const r = re === undefined ? match(i + 1, j) || (j < actual.length && match(i, j + 1)) : j < actual.length && re.test(actual[j]) && match(i + 1, j + 1);
    memo.set(key, r);
    return r;
  };
  return match(0, 0);
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The output shows the command failing. */
export function showsError(output: string[]): boolean {
  return output.some((l) => /^(chainsnap: error:|Error:)/.test(l));
}
