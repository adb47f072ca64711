/**
 * Arguments as Core's rpc/server.cpp and RPCHelpMan take them: named parameters mapped onto positions
 * (transformNamedArguments, with its `args` key for mixed calls and its errors), the argument count check
 * (the method's help as the error) and the type check ("Wrong type passed: …").
 */
import { RPC, RpcError } from './errors.js';
import { isOptional, methodHelp } from './help.js';
import type { RpcArgType, RpcMethod } from './method.js';

/** Core's RPCHelpMan::GetArgNames: [name pattern, named-only] in the order named parameters are mapped. */
function argNames(m: RpcMethod): [string, boolean][] {
  const out: [string, boolean][] = [];
  for (const arg of m.args) {
    for (const o of arg.options ?? []) out.push([o.name, true]);
    out.push([arg.name, false]);
  }
  return out;
}

/** Core's transformNamedArguments: a params object becomes the positional array the method reads. */
export function namedToPositional(m: RpcMethod, named: Record<string, unknown>): unknown[] {
  const argsIn = new Map<string, unknown>(Object.entries(named));
  let out: unknown[] = [];
  // Positions left out before a given one are filled with nulls; `hole` counts them. The size of the
  // first hole decides whether the `args` array collides with a named argument.
  let hole = 0;
  let initialHoleSize = 0;
  let initialParam: string | undefined;
  let options = new Map<string, unknown>();
  for (const [pattern, namedOnly] of argNames(m)) {
    const found = pattern.split('|').find((n) => argsIn.has(n));
    if (namedOnly) {
      if (found !== undefined) {
        if (options.has(found)) throw new RpcError(RPC.INVALID_PARAMETER, `Parameter ${found} specified multiple times`);
        options.set(found, argsIn.get(found));
        argsIn.delete(found);
      }
      continue;
    }
    if (options.size > 0 || found !== undefined) {
      for (; hole > 0; hole--) out.push(null);
      initialParam ??= pattern;
    } else {
      hole++;
      if (out.length === 0) initialHoleSize = hole;
    }
    if (found !== undefined) {
      if (options.size > 0) {
        throw new RpcError(RPC.INVALID_PARAMETER, `Parameter ${found} conflicts with parameter ${options.keys().next().value as string}`);
      }
      out.push(argsIn.get(found));
      argsIn.delete(found);
    }
    if (options.size > 0) {
      out.push(Object.fromEntries(options));
      options = new Map();
    }
  }
  const positional = argsIn.get('args');
  argsIn.delete('args');
  if (Array.isArray(positional)) {
    if (initialHoleSize < positional.length && initialParam !== undefined) {
      throw new RpcError(RPC.INVALID_PARAMETER, `Parameter ${initialParam} specified twice both as positional and named argument`);
    }
    const namedArgs = out;
    out = [...(positional as unknown[])];
    for (let i = out.length; i < namedArgs.length; i++) out.push(namedArgs[i]);
  }
  const unknown = argsIn.keys().next();
  if (!unknown.done) throw new RpcError(RPC.INVALID_PARAMETER, `Unknown named parameter ${unknown.value}`);
  return out;
}

/** Core's uvTypeName. */
export function jsonTypeName(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number' || typeof v === 'bigint') return 'number';
  if (typeof v === 'string') return 'string';
  if (Array.isArray(v)) return 'array';
  return 'object';
}

const EXPECTED: Record<RpcArgType, string | null> = {
  string: 'string',
  hex: 'string',
  number: 'number',
  boolean: 'bool',
  object: 'object',
  array: 'array',
  amount: null, // a number or a numeric string, checked where the amount is read
  any: null,
};

/**
 * Core's RPCHelpMan::HandleRequest checks: a wrong argument count throws the method's help (as Core's
 * HelpResult, RPC_MISC_ERROR); wrong types throw RPC_TYPE_ERROR listing every mismatching position.
 */
export function checkArgs(m: RpcMethod, params: readonly unknown[]): void {
  let required = 0;
  for (let n = m.args.length; n > 0; n--) {
    if (!isOptional(m.args[n - 1]!)) {
      required = n;
      break;
    }
  }
  if (params.length < required || params.length > m.args.length) throw new RpcError(RPC.MISC_ERROR, methodHelp(m));
  let mismatch: Record<string, string> | undefined;
  m.args.forEach((arg, i) => {
    const v = params[i] ?? null;
    if (arg.skipTypeCheck || (isOptional(arg) && v === null)) return;
    const expected = (Array.isArray(arg.type) ? arg.type : [arg.type]).map((t) => EXPECTED[t]);
    if (expected.includes(null)) return;
    const actual = jsonTypeName(v);
    if (expected.includes(actual)) return;
    (mismatch ??= {})[`Position ${i + 1} (${arg.name})`] = `JSON value of type ${actual} is not of expected type ${expected[0]}`;
  });
  if (mismatch) throw new RpcError(RPC.TYPE_ERROR, `Wrong type passed:\n${JSON.stringify(mismatch, null, 4)}`);
}

/** An element read from an array or object argument, with UniValue's get_* error (RPC_TYPE_ERROR). */
export function expectType<T>(v: unknown, type: 'string' | 'number' | 'bool' | 'array' | 'object'): T {
  const actual = jsonTypeName(v);
  if (actual !== type) throw new RpcError(RPC.TYPE_ERROR, `JSON value of type ${actual} is not of expected type ${type}`);
  return v as T;
}
