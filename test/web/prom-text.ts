/**
 * A strict parser of Prometheus' text exposition format (version 0.0.4), for the tests: no package in the
 * tree parses it (prom-client only writes it). It refuses what Prometheus' own parser refuses — bad names,
 * bad escapes, a TYPE after samples, a family split in two, a repeated series, an unknown type, a sample
 * whose name does not fit its family's type — so a test that passes here is a scrape Prometheus accepts.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'summary' | 'histogram' | 'untyped';
  help?: string;
  samples: Sample[];
}

const METRIC = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'summary', 'histogram', 'untyped']);

export class PromParseError extends Error {}

function parseValue(s: string, line: number): number {
  if (s === 'NaN') return NaN;
  if (s === '+Inf' || s === 'Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) throw new PromParseError(`line ${line}: bad value ${JSON.stringify(s)}`);
  return Number(s);
}

/** `{a="x",b="y"}` starting at text[0] === '{'; returns the labels and the rest after '}'. */
function parseLabels(text: string, line: number): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 1;
  const fail = (why: string): never => {
    throw new PromParseError(`line ${line}: ${why}`);
  };
  for (;;) {
    while (text[i] === ' ') i++;
    if (text[i] === '}') return { labels, rest: text.slice(i + 1) };
    const eq = text.indexOf('=', i);
    if (eq < 0) fail('label without =');
    const name = text.slice(i, eq).trim();
    if (!LABEL.test(name) || name.startsWith('__')) fail(`bad label name ${JSON.stringify(name)}`);
    if (name in labels) fail(`label ${name} repeated`);
    i = eq + 1;
    if (text[i] !== '"') fail('label value not quoted');
    i++;
    let value = '';
    for (;;) {
      const c = text[i];
      if (c === undefined) fail('unterminated label value');
      if (c === '"') break;
      if (c === '\\') {
        const n = text[i + 1];
        if (n === '\\') value += '\\';
        else if (n === '"') value += '"';
        else if (n === 'n') value += '\n';
        else fail(`bad escape \\${n}`);
        i += 2;
      } else {
        value += c;
        i++;
      }
    }
    labels[name] = value;
    i++;
    while (text[i] === ' ') i++;
    if (text[i] === ',') i++;
    else if (text[i] !== '}') fail('expected , or } after a label');
  }
}

/** The family a sample belongs to, given the declared types (summary/histogram suffixes). */
function familyOf(name: string, families: Map<string, Family>): string {
  for (const suffix of ['_sum', '_count', '_bucket']) {
    if (name.endsWith(suffix)) {
      const base = name.slice(0, -suffix.length);
      const f = families.get(base);
      if (f && (f.type === 'summary' || f.type === 'histogram') && (suffix !== '_bucket' || f.type === 'histogram')) return base;
    }
  }
  return name;
}

export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const closed = new Set<string>();
  const series = new Set<string>();
  let current: string | undefined;
  const family = (name: string): Family => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { name, type: 'untyped', samples: [] }));
    return f;
  };
  const enter = (name: string, line: number) => {
    if (current === name) return;
    if (closed.has(name)) throw new PromParseError(`line ${line}: family ${name} appears in two places`);
    if (current) closed.add(current);
    current = name;
  };
  if (text.length > 0 && !text.endsWith('\n')) throw new PromParseError('the exposition must end with a newline');
  text.split('\n').forEach((raw, index) => {
    const n = index + 1;
    const line = raw.trim();
    if (line === '') return;
    if (line.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s+(.*))?$/.exec(line);
      if (!m) return; // an ordinary comment
      const [, kind, name, rest = ''] = m;
      if (!METRIC.test(name)) throw new PromParseError(`line ${n}: bad metric name ${name}`);
      const f = family(name);
      enter(name, n);
      if (kind === 'HELP') {
        if (f.help !== undefined) throw new PromParseError(`line ${n}: second HELP for ${name}`);
        f.help = rest.replace(/\\n/g, '\n').replace(/\\\\/g, '\\');
      } else {
        if (!TYPES.has(rest)) throw new PromParseError(`line ${n}: unknown type ${rest}`);
        if (f.samples.length > 0) throw new PromParseError(`line ${n}: TYPE for ${name} after its samples`);
        if (f.type !== 'untyped') throw new PromParseError(`line ${n}: second TYPE for ${name}`);
        f.type = rest as Family['type'];
      }
      return;
    }
    const nameEnd = line.search(/[{ ]/);
    if (nameEnd < 0) throw new PromParseError(`line ${n}: sample without a value`);
    const name = line.slice(0, nameEnd);
    if (!METRIC.test(name)) throw new PromParseError(`line ${n}: bad metric name ${name}`);
    let rest = line.slice(nameEnd);
    let labels: Record<string, string> = {};
    if (rest.startsWith('{')) ({ labels, rest } = parseLabels(rest, n));
    const parts = rest.trim().split(/\s+/);
    if (parts.length < 1 || parts.length > 2 || parts[0] === '') throw new PromParseError(`line ${n}: expected a value and an optional timestamp`);
    if (parts.length === 2 && !/^-?\d+$/.test(parts[1])) throw new PromParseError(`line ${n}: bad timestamp ${parts[1]}`);
    const value = parseValue(parts[0], n);
    const fname = familyOf(name, families);
    const f = family(fname);
    enter(fname, n);
    if (f.type === 'counter' && value < 0) throw new PromParseError(`line ${n}: negative counter ${name}`);
    if (name === fname && (f.type === 'histogram' || (f.type === 'summary' && !('quantile' in labels)))) {
      throw new PromParseError(`line ${n}: ${f.type} ${name} sample without its suffix`);
    }
    const key = name + JSON.stringify(Object.entries(labels).sort());
    if (series.has(key)) throw new PromParseError(`line ${n}: series repeated: ${key}`);
    series.add(key);
    f.samples.push({ name, labels, value });
  });
  return families;
}

/** The one sample of `name` whose labels include `labels`; throws when there is none or more than one. */
export function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  const all = [...families.values()].flatMap((f) => f.samples).filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (all.length !== 1) throw new Error(`${all.length} samples of ${name} ${JSON.stringify(labels)}`);
  return all[0].value;
}
