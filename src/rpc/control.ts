/** The RPC server's own methods, as Core's rpc/server.cpp has them: help, stop, uptime, getrpcinfo. */
import { argConversions, exampleCli, exampleRpc, helpText, resultText } from './help.js';
import type { RpcMethod } from './method.js';

/** Core's stop reply (CLIENT_NAME " stopping"); scripts and Core's test framework look for it. */
export const STOP_REPLY = 'Bitcoin Core stopping';

const help: RpcMethod = {
  name: 'help',
  category: 'control',
  description: 'List all commands, or get help for a specified command.\n',
  args: [{ name: 'command', type: 'string', defaultHint: 'all commands', description: 'The command to get help on' }],
  result: resultText([['"str"', '(string) The help text']]),
  handler: ([command], ctx) => {
    // Core's undocumented test hook: every argument's position and whether the client sends it as a string.
    if (command === 'dump_all_command_conversions') return argConversions(ctx.methods);
    return helpText(ctx.methods, (command as string | null | undefined) ?? '');
  },
};

const stop: RpcMethod = {
  name: 'stop',
  category: 'control',
  description: 'Request a graceful shutdown of Bitcoin Core.',
  // Core's hidden `wait` (milliseconds before replying) is for tests.
  args: [{ name: 'wait', type: 'number', optional: true, hidden: true, description: 'how long to wait in ms' }],
  result: resultText([['"str"', `(string) A string with the content '${STOP_REPLY}'`]]),
  handler: async ([wait]) => {
    if (typeof wait === 'number') await new Promise((r) => setTimeout(r, wait));
    return STOP_REPLY;
  },
  // The reply must reach the caller before the node starts closing its server.
  afterReply: (ctx) => ctx.requestShutdown(),
};

const uptime: RpcMethod = {
  name: 'uptime',
  category: 'control',
  description: 'Returns the total uptime of the server.\n',
  args: [],
  result: resultText([['n', '(numeric) The number of seconds that the server has been running']]),
  examples: [exampleCli('uptime', ''), exampleRpc('uptime', '')],
  handler: (_params, ctx) => Math.floor(ctx.now()) - ctx.startTime,
};

const getrpcinfo: RpcMethod = {
  name: 'getrpcinfo',
  category: 'control',
  description: 'Returns details of the RPC server.\n',
  args: [],
  result: resultText([
    ['{', '(json object)'],
    ['  "active_commands" : [', '(json array) All active commands'],
    ['    {', '(json object) Information about an active command'],
    ['      "method" : "str",', '(string) The name of the RPC command'],
    ['      "duration" : n', '(numeric) The running time in microseconds'],
    ['    },', ''],
    ['    ...', ''],
    ['  ],', ''],
    ['  "logpath" : "str"', '(string) The complete file path to the debug log'],
    ['}', ''],
  ]),
  examples: [exampleCli('getrpcinfo', ''), exampleRpc('getrpcinfo', '')],
  handler: (_params, ctx) => ({ active_commands: ctx.activeCommands(), logpath: ctx.logPath }),
};

export const controlMethods: RpcMethod[] = [getrpcinfo, help, stop, uptime];
