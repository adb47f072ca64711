/**
 * The shape of one RPC method, as Core's RPCHelpMan describes it: its name, category, arguments (names,
 * types, defaults: they drive named-parameter mapping, type checks and `help`), and its handler.
 * Methods are grouped in files named after Core's (blockchain.ts, mining.ts, net.ts, control.ts, …); each
 * file exports an array of RpcMethod that the node registers.
 */
import type { RpcContext } from './context.js';

/** Core's RPCArg::Type. 'amount' accepts a number or a numeric string; 'any' skips the type check. */
export type RpcArgType = 'string' | 'number' | 'boolean' | 'object' | 'array' | 'amount' | 'hex' | 'any';

export interface RpcArg {
  name: string;
  /** One type, or several (e.g. dumptxoutset's rollback option is a number or a string). */
  type: RpcArgType | RpcArgType[];
  /** Omitted means required (Core's RPCArg::Optional::NO). */
  optional?: boolean;
  /** The default shown in help; handlers apply their own defaults. */
  default?: unknown;
  description: string;
  /** Core's "named-only" options inside an options object (e.g. dumptxoutset's `rollback`). */
  options?: RpcArg[];
  /** Core's RPCArg::DefaultHint: a default described in words ("all commands"), printed as is. */
  defaultHint?: string;
  /** Core's RPCArgOptions.hidden: left out of help (and so is every argument after it). */
  hidden?: boolean;
  /** Core's RPCArgOptions.skip_type_check (e.g. echo's arguments). */
  skipTypeCheck?: boolean;
  /** Core's RPCArgOptions.oneline_description: what the one-line synopsis shows instead of the name. */
  oneline?: string;
  /** Keys of an object or elements of an array, for help only (Core's m_inner of OBJ/ARR). */
  inner?: RpcArg[];
}

/** Arguments as the handler sees them: positional, after named ones were mapped onto their places. */
export type RpcParams = unknown[];

export interface RpcMethod {
  name: string;
  /** Core's category: blockchain, control, mining, network, rawtransactions, util, hidden, … */
  category: string;
  description: string;
  args: RpcArg[];
  /** Result description for `help` (free text, Core's RPCResult in short). */
  result?: string;
  examples?: string[];
  handler: (params: RpcParams, ctx: RpcContext) => unknown | Promise<unknown>;
  /** Runs once the HTTP reply carrying this call's successful result was sent (stop's shutdown request). */
  afterReply?: (ctx: RpcContext) => void;
}
