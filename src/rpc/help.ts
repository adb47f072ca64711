/**
 * Help text as Core's RPCHelpMan::ToString and CRPCTable::help print it: the one-line synopsis (optional
 * arguments in parentheses), the argument table, and the `help` listing by category. Also Core's example
 * line helpers, so methods can write their examples as Core does.
 */
import type { RpcArg, RpcArgType, RpcMethod } from './method.js';

export function exampleCli(method: string, args: string): string {
  return `> bitcoin-cli ${method} ${args}\n`;
}

export function exampleRpc(method: string, args: string): string {
  return (
    `> curl --user myusername --data-binary '{"jsonrpc": "2.0", "id": "curltest", "method": "${method}", "params": [${args}]}'` +
    ` -H 'content-type: application/json' http://127.0.0.1:8332/\n`
  );
}

const typesOf = (arg: RpcArg): RpcArgType[] => (Array.isArray(arg.type) ? arg.type : [arg.type]);
const firstName = (arg: RpcArg) => arg.name.split('|')[0]!;
const isStringType = (t: RpcArgType) => t === 'string' || t === 'hex';

/** Core's RPCArg::IsOptional: optional, or carrying a default. */
export function isOptional(arg: RpcArg): boolean {
  return arg.optional === true || arg.default !== undefined || arg.defaultHint !== undefined;
}

/** Core's RPCArg::ToStringObj: how a key of an object argument shows in a synopsis. */
function toStringObj(arg: RpcArg, oneline: boolean): string {
  const res = `"${firstName(arg)}":${oneline ? '' : ' '}`;
  const t = typesOf(arg)[0]!;
  if (t === 'string') return res + '"str"';
  if (t === 'hex') return res + '"hex"';
  if (t === 'number') return res + 'n';
  if (t === 'amount') return res + 'amount';
  if (t === 'boolean') return res + 'bool';
  if (t === 'array') return res + '[' + (arg.inner ?? []).map((i) => toString(i, oneline) + ',').join('') + '...]';
  return res + 'n';
}

/** Core's RPCArg::ToString: the argument in the synopsis. */
function toString(arg: RpcArg, oneline: boolean): string {
  if (oneline && arg.oneline) return arg.oneline;
  const t = typesOf(arg)[0]!;
  if (isStringType(t)) return `"${firstName(arg)}"`;
  if (t === 'object') {
    const inner = arg.options ?? arg.inner ?? [];
    const res = inner.map((i) => toStringObj(i, oneline)).join(',');
    return arg.options ? `{${res},...}` : `{${res}}`;
  }
  if (t === 'array') return '[' + (arg.inner ?? []).map((i) => toString(i, oneline) + ',').join('') + '...]';
  return firstName(arg);
}

const TYPE_WORDS: Record<RpcArgType, string> = {
  string: 'string',
  hex: 'string',
  number: 'numeric',
  amount: 'numeric or string',
  boolean: 'boolean',
  object: 'json object',
  array: 'json array',
  any: 'any',
};

/** Core's RPCArg::ToDescriptionString: "(type, required) description". */
function describe(arg: RpcArg, namedArg: boolean): string {
  let ret = '(' + [...new Set(typesOf(arg).map((t) => TYPE_WORDS[t]))].join(' or ');
  if (arg.defaultHint !== undefined) ret += ', optional, default=' + arg.defaultHint;
  else if (arg.default !== undefined) ret += ', optional, default=' + JSON.stringify(arg.default);
  else if (arg.optional) ret += namedArg ? ', optional' : '';
  else ret += ', required';
  ret += ')';
  if (arg.options) ret += ' Options object that can be used to pass named arguments, listed below.';
  return ret + (arg.description ? ' ' + arg.description : '');
}

/** Core's Sections: left column padded to the widest entry plus four, descriptions re-indented. */
class Sections {
  readonly rows: { left: string; right: string }[] = [];
  pad = 0;

  push(left: string, right: string): void {
    this.pad = Math.max(this.pad, left.length);
    this.rows.push({ left, right });
  }

  /** Core's Sections::Push for the inner parts of an object or array argument. */
  pushInner(arg: RpcArg, indent = 5, outer: 'none' | 'obj' | 'arr' = 'none'): void {
    const sp = ' '.repeat(indent);
    const pushName = outer === 'obj';
    const top = outer === 'none';
    const t = typesOf(arg)[0]!;
    if (t !== 'object' && t !== 'array') {
      if (top) return;
      this.push(sp + (pushName ? toStringObj(arg, false) : toString(arg, false)) + ',', describe(arg, pushName));
      return;
    }
    if (arg.options) return; // named-only options are listed in their own section
    const inner = arg.inner ?? [];
    const right = top ? '' : describe(arg, pushName);
    const name = pushName ? `"${arg.name}": ` : '';
    this.push(sp + name + (t === 'object' ? '{' : '['), right);
    for (const i of inner) this.pushInner(i, indent + 2, t === 'object' ? 'obj' : 'arr');
    if (t === 'array') this.push(sp + '  ...', '');
    this.push(sp + (t === 'object' ? '}' : ']') + (top ? '' : ','), '');
  }

  toString(): string {
    const pad = this.pad + 4;
    let ret = '';
    for (const { left, right } of this.rows) {
      if (right === '') {
        ret += left + '\n';
        continue;
      }
      const lines = right.split('\n').map((l, i) => (i === 0 ? l : l.trimStart()));
      ret += left.padEnd(pad, ' ') + lines.join('\n' + ' '.repeat(pad)) + '\n';
    }
    return ret;
  }
}

/**
 * A result description in Core's layout from [left, right] rows (e.g. ['{', '(json object)'],
 * ['  "size" : n,', '(numeric) Current tx count'], ['}', '']): the right column aligned as Core aligns it.
 */
export function resultText(rows: readonly (readonly [string, string])[]): string {
  const s = new Sections();
  for (const [left, right] of rows) s.push(left, right);
  return s.toString();
}

/** The first line of a method's help: its name and arguments, optional ones in "( … )". */
export function synopsis(m: RpcMethod): string {
  let ret = m.name;
  let wasOptional = false;
  for (const arg of m.args) {
    if (arg.hidden) break; // every argument after a hidden one is hidden too
    const optional = isOptional(arg);
    ret += ' ';
    if (optional && !wasOptional) ret += '( ';
    if (!optional && wasOptional) ret += ') ';
    wasOptional = optional;
    ret += toString(arg, true);
  }
  return wasOptional ? ret + ' )' : ret;
}

/** The whole help text of one method (Core's RPCHelpMan::ToString). */
export function methodHelp(m: RpcMethod): string {
  let ret = synopsis(m) + '\n\n' + m.description.trim() + '\n';
  const sections = new Sections();
  const named = new Sections();
  for (const [i, arg] of m.args.entries()) {
    if (arg.hidden) break;
    sections.push(`${i + 1}. ${firstName(arg)}`, describe(arg, true));
    sections.pushInner(arg);
    for (const o of arg.options ?? []) {
      named.push(firstName(o), describe(o, true));
      named.pushInner(o);
    }
  }
  if (sections.rows.length > 0) ret += '\nArguments:\n' + sections.toString();
  if (named.rows.length > 0) ret += '\nNamed Arguments:\n' + named.toString();
  if (m.result) ret += '\nResult:\n' + (m.result.endsWith('\n') ? m.result : m.result + '\n');
  const examples = (m.examples ?? []).map((e) => (e.endsWith('\n') ? e : e + '\n')).join('');
  if (examples) ret += '\nExamples:\n' + examples;
  return ret;
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Core's CRPCTable::help: every method by category ("== Control =="), or one method's full help. */
export function helpText(methods: ReadonlyMap<string, RpcMethod>, command = ''): string {
  const sorted = [...methods.values()].sort((a, b) => {
    const ka = a.category + a.name;
    const kb = b.category + b.name;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  let ret = '';
  let category = '';
  for (const m of sorted) {
    if ((command !== '' || m.category === 'hidden') && m.name !== command) continue;
    let text = methodHelp(m);
    if (command === '') {
      text = text.split('\n')[0]!;
      if (category !== m.category) {
        if (category) ret += '\n';
        category = m.category;
        ret += `== ${capitalize(category)} ==\n`;
      }
    }
    ret += text + '\n';
  }
  if (ret === '') ret = `help: unknown command: ${command}\n`;
  return ret.slice(0, -1);
}

/** Core's hidden `help dump_all_command_conversions`: [method, position, name, is-string] per argument. */
export function argConversions(methods: ReadonlyMap<string, RpcMethod>): [string, number, string, boolean][] {
  const out: [string, number, string, boolean][] = [];
  const names = [...methods.keys()].sort();
  for (const name of names) {
    const m = methods.get(name)!;
    m.args.forEach((arg, i) => {
      for (const n of arg.name.split('|')) {
        out.push([name, i, n, isStringType(typesOf(arg)[0]!)]);
        for (const o of arg.options ?? []) for (const on of o.name.split('|')) out.push([name, i, on, isStringType(typesOf(o)[0]!)]);
      }
    });
  }
  return out;
}
