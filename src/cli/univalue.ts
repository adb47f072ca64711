/**
 * JSON as bitcoin-cli handles it (Core's UniValue): numbers keep the text the server sent (an amount
 * prints as 0.00010000, not 0.0001; a 64-bit integer keeps every digit), object keys keep their order,
 * and pretty output uses UniValue's layout (2-space indent, `"key": value`, empty containers as `[\n]`).
 */

/** A number exactly as written. */
export class JsonNumber {
  constructor(readonly raw: string) {}
}

export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | JsonObject;
/** Entries in order; a later duplicate key replaces the earlier value in its place (UniValue's pushKV). */
export type JsonObject = { entries: [string, JsonValue][] };

export class JsonSyntaxError extends Error {}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const WS = /[ \t\n\r]*/y;

/** Parses one JSON value (any type at the top, as UniValue::read does); throws JsonSyntaxError. */
export function parseJson(text: string): JsonValue {
  let pos = 0;
  const fail = (): never => {
    throw new JsonSyntaxError(`invalid JSON at offset ${pos}`);
  };
  const ws = () => {
    WS.lastIndex = pos;
    WS.exec(text);
    pos = WS.lastIndex;
  };
  const value = (depth: number): JsonValue => {
    if (depth > 512) fail();
    ws();
    const c = text[pos];
    if (c === '{') {
      pos++;
      const obj: JsonObject = { entries: [] };
      ws();
      if (text[pos] === '}') return pos++, obj;
      for (;;) {
        ws();
        if (text[pos] !== '"') fail();
        const key = string();
        ws();
        if (text[pos++] !== ':') fail();
        setKey(obj, key, value(depth + 1));
        ws();
        if (text[pos] === ',') pos++;
        else if (text[pos] === '}') return pos++, obj;
        else fail();
      }
    }
    if (c === '[') {
      pos++;
      const arr: JsonValue[] = [];
      ws();
      if (text[pos] === ']') return pos++, arr;
      for (;;) {
        arr.push(value(depth + 1));
        ws();
        if (text[pos] === ',') pos++;
        else if (text[pos] === ']') return pos++, arr;
        else fail();
      }
    }
    if (c === '"') return string();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (text.startsWith(word, pos)) return (pos += word.length), v;
    }
    NUMBER.lastIndex = pos;
    const m = NUMBER.exec(text);
    if (!m) fail();
    pos = NUMBER.lastIndex;
    return new JsonNumber(m![0]);
  };
  const string = (): string => {
    const start = pos;
    pos++;
    while (pos < text.length && text[pos] !== '"') {
      if (text[pos] === '\\') pos++;
      else if (text.charCodeAt(pos) < 0x20) fail();
      pos++;
    }
    if (pos >= text.length) fail();
    pos++;
    try {
      return JSON.parse(text.slice(start, pos)) as string;
    } catch {
      return fail();
    }
  };
  const v = value(0);
  ws();
  if (pos !== text.length) fail();
  return v;
}

export function setKey(obj: JsonObject, key: string, v: JsonValue): void {
  const at = obj.entries.findIndex(([k]) => k === key);
  if (at >= 0) obj.entries[at][1] = v;
  else obj.entries.push([key, v]);
}

export function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof JsonNumber);
}

export function getKey(v: JsonValue | undefined, key: string): JsonValue | undefined {
  return isObject(v) ? v.entries.find(([k]) => k === key)?.[1] : undefined;
}

/** UniValue's escaping: `"`, `\\`, the short escapes, other control characters and DEL as \u00XX. */
function quote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out + '"';
}

/** UniValue::write(indent): compact with 0, pretty with 2 as bitcoin-cli prints results. */
export function writeJson(v: JsonValue, indent = 0, level = 1): string {
  if (v === null) return 'null';
  if (v === true) return 'true';
  if (v === false) return 'false';
  if (typeof v === 'string') return quote(v);
  if (v instanceof JsonNumber) return v.raw;
  const nl = indent ? '\n' : '';
  const pad = (n: number) => ' '.repeat(indent * n);
  const items = Array.isArray(v) ? v.map((x) => writeJson(x, indent, level + 1)) : v.entries.map(([k, x]) => `${quote(k)}:${indent ? ' ' : ''}${writeJson(x, indent, level + 1)}`);
  const [open, close] = Array.isArray(v) ? ['[', ']'] : ['{', '}'];
  return open + nl + items.map((s, i) => pad(level) + s + (i < items.length - 1 ? ',' : '') + nl).join('') + pad(level - 1) + close;
}

/** Plain JS data into a JsonValue (numbers as JS prints them). */
export function fromPlain(x: unknown): JsonValue {
  if (x === null || x === undefined) return null;
  if (typeof x === 'boolean' || typeof x === 'string') return x;
  if (typeof x === 'number' || typeof x === 'bigint') return new JsonNumber(String(x));
  if (Array.isArray(x)) return x.map(fromPlain);
  return { entries: Object.entries(x as Record<string, unknown>).map(([k, v]) => [k, fromPlain(v)]) };
}
