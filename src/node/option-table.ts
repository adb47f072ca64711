/**
 * Every option bitcoind v30 registers (init.cpp SetupServerArgs, init/common.cpp, chainparamsbase.cpp,
 * wallet/init.cpp), with Core's flags, plus chainsnap's own options, and what chainsnap does with each:
 * - implemented: it has its effect;
 * - ignored: accepted (it is harmless without the feature it configures) and logged once as having no effect,
 *   as a Core build without the wallet or ZMQ accepts those options;
 * - refused: accepted by the parser (so a config file holding it parses as in Core) but an error at startup
 *   when enabled, because ignoring it would silently give the user something else than asked.
 * A name absent from this table is unknown, as in Core ("Invalid parameter").
 */
import { getChainParams } from '../consensus/params.js';

export const FLAG = {
  DEBUG_ONLY: 1,
  NETWORK_ONLY: 2,
  SENSITIVE: 4,
  DISALLOW_NEGATION: 8,
  DISALLOW_ELISION: 16,
} as const;

export type OptionSupport = 'implemented' | 'ignored' | 'refused';

export type HelpGroup = 'options' | 'chain' | 'rpc' | 'debug' | 'chainsnap' | 'hidden';

export interface OptionSpec {
  name: string;
  /** Core's help parameter, e.g. `=<n>`. */
  param: string;
  flags: number;
  support: OptionSupport;
  group: HelpGroup;
  /** Help text (implemented options only: --help lists what works). */
  help?: string;
}

const { DEBUG_ONLY: D, NETWORK_ONLY: N, SENSITIVE: S, DISALLOW_NEGATION: NN, DISALLOW_ELISION: NE } = FLAG;

const table = new Map<string, OptionSpec>();

function add(support: OptionSupport, group: HelpGroup, spec: string, flags = 0, help?: string): void {
  const eq = spec.indexOf('=');
  const name = eq < 0 ? spec : spec.slice(0, eq);
  table.set(name, { name, param: eq < 0 ? '' : spec.slice(eq), flags, support, group, help });
}

const implemented = (group: HelpGroup, spec: string, help: string, flags = 0) => add('implemented', group, spec, flags, help);
const ignored = (specs: string[], flags = 0, group: HelpGroup = 'options') => specs.forEach((s) => add('ignored', group, s, flags));
const refused = (specs: string[], flags = 0) => specs.forEach((s) => add('refused', 'options', s, flags));

// ---- Implemented -------------------------------------------------------------------------------------------
implemented('options', 'help', 'Print this help message and exit (also -h or -?)');
implemented('debug', 'help-debug', 'Print help message with debugging options and exit');
implemented('options', 'version', 'Print version and exit');
implemented('options', 'conf=<file>', 'Specify path to read-only configuration file. Relative paths will be prefixed by datadir location (only useable from command line, not configuration file) (default: bitcoin.conf; chainsnap.conf in the datadir is read too when present)');
implemented('options', 'datadir=<dir>', 'Specify data directory', NN);
implemented('options', 'includeconf=<file>', 'Specify additional configuration file, relative to the -datadir path (only useable from configuration file, not command line)');
implemented('options', 'allowignoredconf', 'For backwards compatibility, treat an unused bitcoin.conf file in the datadir as a warning, not an error.');
const av = (n: 'main' | 'testnet3' | 'testnet4' | 'signet') => getChainParams(n).defaultAssumeValid;
implemented(
  'options',
  'assumevalid=<hex>',
  `If this block is in the chain assume that it and its ancestors are valid and potentially skip their script verification (0 to verify all, default: ${av('main')}, testnet3: ${av('testnet3')}, testnet4: ${av('testnet4')}, signet: ${av('signet')})`,
);
implemented('options', 'blocksxor', 'Whether an XOR-key applies to blocksdir *.dat files. The created XOR-key will be zeros for an existing blocksdir or when `-blocksxor=0` is set, and random for a freshly initialized blocksdir. (default: 1)');
implemented('options', 'dbcache=<n>', 'Maximum database cache size <n> MiB (minimum 4, default: 450). Make sure you have enough RAM.');
implemented('options', 'par=<n>', 'Set the number of script verification threads (0 = auto, up to 15, <0 = leave that many cores free, default: 0)');
implemented('options', 'pid=<file>', 'Specify pid file. Relative paths will be prefixed by a net-specific datadir location. (default: bitcoind.pid)');
implemented('options', 'settings=<file>', 'Specify path to dynamic settings data file. Can be disabled with -nosettings. Relative paths will be prefixed by datadir location. (default: settings.json)');
implemented('options', 'daemon', 'Run in the background as a daemon and accept commands (default: 0)');
implemented('options', 'daemonwait', 'Wait for initialization to be finished before exiting. This implies -daemon (default: 0)');
implemented('options', 'debuglogfile=<file>', 'Specify location of debug log file (default: debug.log). Relative paths will be prefixed by a net-specific datadir location. Pass -nodebuglogfile to disable writing the log to a file.');
implemented('debug', 'debug=<category>', 'Output debug and trace logging (default: -nodebug, supplying <category> is optional). If <category> is not supplied or if <category> is 1 or "all", output all debug logging. If <category> is 0 or "none", any other categories are ignored. This option can be specified multiple times to output multiple categories.');
implemented('debug', 'debugexclude=<category>', 'Exclude debug and trace logging for a category. Can be used in conjunction with -debug=1 to output debug and trace logging for all categories except the specified category. This option can be specified multiple times to exclude multiple categories. This takes priority over "-debug"');
implemented('debug', 'loglevel=<level>|<category>:<level>', 'Set the global or per-category severity level for logging categories enabled with the -debug configuration option or the logging RPC. Possible values are info, debug, trace (default=debug).', NN | NE | D);
implemented('debug', 'logtimestamps', 'Prepend debug output with timestamp (default: 1)');
implemented('debug', 'logtimemicros', 'Add microsecond precision to debug timestamps (default: 0)', D);
implemented('debug', 'loglevelalways', 'Always prepend a category and level (default: 0)');
implemented('debug', 'printtoconsole', 'Send trace/debug info to console (default: 1 when no -daemon. To disable logging to file, set -nodebuglogfile)');
implemented('debug', 'shrinkdebugfile', 'Shrink debug.log file on client startup (default: 1 when no -debug)');
implemented('debug', 'uacomment=<cmt>', 'Append comment to the user agent string');
implemented('debug', 'test=<option>', 'Pass a test-only option. Options include : addrman (use deterministic addrman), reindex_after_failure_noninteractive_yes (When asked for a reindex after failure interactively, simulate as-if answered with \'yes\'), bip94 (enforce BIP94 consensus rules).', D);
implemented('debug', 'blockversion=<n>', 'Override block version to test forking scenarios', D);
implemented('debug', 'stopatheight', 'Stop running after reaching the given height in the main chain (default: 0)', D);
implemented('debug', 'mocktime=<n>', 'Replace actual time with UNIX epoch time (default: 0)', D);
implemented('debug', 'maxtipage=<n>', 'Maximum tip age in seconds to consider node in initial block download (default: 86400)', D);
implemented('options', 'minimumchainwork=<hex>', 'Minimum work assumed to exist on a valid chain in hex', D);
implemented('options', 'networkactive', 'Enable all P2P network activity (default: 1). Can be changed by the setnetworkactive RPC command');
implemented('chain', 'chain=<chain>', 'Use the chain <chain> (default: main). Allowed values: main, test, testnet4, signet, regtest');
implemented('chain', 'regtest', 'Enter regression test mode, which uses a special chain in which blocks can be solved instantly. Equivalent to -chain=regtest.', D);
implemented('chain', 'testnet', 'Use the testnet3 chain. Equivalent to -chain=test.');
implemented('chain', 'testnet4', 'Use the testnet4 chain. Equivalent to -chain=testnet4.');
implemented('chain', 'signet', 'Use the signet chain. Equivalent to -chain=signet. Note that the network is defined by the -signetchallenge parameter');
implemented('chain', 'signetchallenge', 'Blocks must satisfy the given script to be considered valid (only for signet networks; defaults to the global default signet test network challenge)', NN);
implemented('rpc', 'rpcallowip=<ip>', 'Allow JSON-RPC connections from specified source. Valid values for <ip> are a single IP (e.g. 1.2.3.4), a network/netmask (e.g. 1.2.3.4/255.255.255.0), a network/CIDR (e.g. 1.2.3.4/24), all ipv4 (0.0.0.0/0), or all ipv6 (::/0). This option can be specified multiple times');
implemented('rpc', 'rpcauth=<userpw>', 'Username and HMAC-SHA-256 hashed password for JSON-RPC connections. The field <userpw> comes in the format: <USERNAME>:<SALT>$<HASH>. This option can be specified multiple times', S);
implemented('rpc', 'rpcbind=<addr>[:port]', 'Bind to given address to listen for JSON-RPC connections. This option is ignored unless -rpcallowip is also passed. Port is optional and overrides -rpcport. Use [host]:port notation for IPv6. This option can be specified multiple times (default: 127.0.0.1 and ::1 i.e., localhost)', N);
implemented('rpc', 'rpccookiefile=<loc>', 'Location of the auth cookie. Relative paths will be prefixed by a net-specific datadir location. (default: data dir)');
implemented('rpc', 'rpccookieperms=<readable-by>', 'Set permissions on the RPC auth cookie file so that it is readable by [owner|group|all] (default: owner [via umask 0077])');
implemented('rpc', 'rpcpassword=<pw>', 'Password for JSON-RPC connections', S);
implemented('rpc', 'rpcport=<port>', 'Listen for JSON-RPC connections on <port> (default: 8332, testnet3: 18332, testnet4: 48332, signet: 38332, regtest: 18443)', N);
implemented('rpc', 'rpcservertimeout=<n>', 'Timeout during HTTP requests (default: 30)', D);
implemented('rpc', 'rpcthreads=<n>', 'Set the number of threads to service RPC calls (default: 16)');
implemented('rpc', 'rpcuser=<user>', 'Username for JSON-RPC connections', S);
implemented('rpc', 'rpcworkqueue=<n>', 'Set the maximum depth of the work queue to service RPC calls (default: 64)', D);
implemented('rpc', 'rpcwhitelist=<whitelist>', 'Set a whitelist to filter incoming RPC calls for a specific user. The field <whitelist> comes in the format: <USERNAME>:<rpc 1>,<rpc 2>,...,<rpc n>. If multiple whitelists are set for a given user, they are set-intersected. See -rpcwhitelistdefault documentation for information on default whitelist behavior.');
implemented('rpc', 'rpcwhitelistdefault', 'Sets default behavior for rpc whitelisting. Unless rpcwhitelistdefault is set to 0, if any -rpcwhitelist is set, the rpc server acts as if all rpc users are subject to empty-unless-otherwise-specified whitelists. If rpcwhitelistdefault is set to 1 and no -rpcwhitelist is set, rpc server acts as if all rpc users are subject to empty whitelists.');
implemented('rpc', 'server', 'Accept command line and JSON-RPC commands');
implemented('chainsnap', 'source-rpc=<url>', 'Fetch headers and blocks from a bitcoind-compatible JSON-RPC node (http://user:pass@host:port). Can be specified multiple times; the node fails over to the next one.', S);
implemented('chainsnap', 'source-blocks=<dir>', 'Read blocks from the blk*.dat files of a Bitcoin Core blocks directory (xor.dat obfuscation supported)');
implemented('chainsnap', 'assumeutxo=<height>:<blockhash>:<hash_serialized_3>:<chain_tx_count>', 'Trust an extra snapshot (regtest and custom signets only). Can be specified multiple times');
implemented('chainsnap', 'webport=<port>', 'Serve the status page and Prometheus /metrics on <port> (default: off)');
implemented('chainsnap', 'webbind=<addr>', 'Bind the status page to this address (default: 127.0.0.1). Anywhere but loopback it asks for the RPC credentials');
implemented('chainsnap', 'background=<mode>', 'Where background validation runs: worker (a worker thread, default) or in-process');
// P2P (Core's CONNECTION options).
implemented('options', 'addnode=<ip>', 'Add a node to connect to and attempt to keep the connection open (see the addnode RPC help for more info). This option can be specified multiple times to add multiple nodes; connections are limited to 8 at a time and are counted separately from the -maxconnections limit.', N);
implemented('options', 'bantime=<n>', 'Default duration (in seconds) of manually configured bans (default: 86400)');
implemented('options', 'bind=<addr>[:<port>][=onion]', 'Bind to given address and always listen on it (default: 0.0.0.0). Use [host]:port notation for IPv6.', N);
implemented('options', 'connect=<ip>', 'Connect only to the specified node; -noconnect disables automatic connections (the rules for this peer are the same as for -addnode). This option can be specified multiple times to connect to multiple nodes.', N);
implemented('options', 'dnsseed', 'Query for peer addresses via DNS lookup, if low on addresses (default: 1 unless -connect used or -maxconnections=0)');
implemented('options', 'fixedseeds', "Allow fixed seeds if DNS seeds don't provide peers (default: 1)");
implemented('options', 'listen', 'Accept connections from outside (default: 1 if no -proxy, -connect or -maxconnections=0)');
implemented('options', 'maxconnections=<n>', 'Maintain at most <n> automatic connections to peers (default: 125). This limit does not apply to connections manually added via -addnode or the addnode RPC, which have a separate limit of 8.');
implemented('options', 'onlynet=<net>', 'Make automatic outbound connections only to network <net> (ipv4, ipv6, onion, i2p, cjdns). Inbound and manual connections are not affected by this option. It can be specified multiple times to allow multiple networks.');
implemented('options', 'port=<port>', 'Listen for connections on <port> (default: 8333, testnet3: 18333, testnet4: 48333, signet: 38333, regtest: 18444). Not relevant for I2P (see doc/i2p.md). If set to a value x, the default onion listening port will be set to x+1.', N);
implemented('options', 'seednode=<ip>', 'Connect to a node to retrieve peer addresses, and disconnect. This option can be specified multiple times to connect to multiple nodes. During startup, seednodes will be tried before dnsseeds.');
implemented('options', 'timeout=<n>', 'Specify socket connection timeout in milliseconds. If an initial attempt to connect is unsuccessful after this amount of time, drop it (minimum: 1, default: 5000)');
implemented('debug', 'peertimeout=<n>', 'Specify a p2p connection timeout delay in seconds. After connecting to a peer, wait this amount of time before considering disconnection based on inactivity (minimum: 1, default: 60)', D);
implemented('options', 'whitelist=<[permissions@]IP address or network>', 'Add permission flags to the peers using the given IP address (e.g. 1.2.3.4) or CIDR-notated network (e.g. 1.2.3.0/24). Uses the same permissions as -whitebind. Can be specified multiple times.');
implemented('options', 'reindex-chainstate', 'If enabled, wipe chain state, and rebuild it from blk*.dat files on disk. If an assumeutxo snapshot was loaded, its chainstate will be wiped as well. The snapshot can then be reloaded via RPC.');
implemented('debug', 'dbbatchsize', 'Maximum database write batch size in bytes (default: 33554432)', D);
add('implemented', 'hidden', 'dbcrashratio');
add('implemented', 'hidden', 'h');
add('implemented', 'hidden', '?');
// Core keeps it to tell users that checkpoints are gone; so does chainsnap.
add('implemented', 'hidden', 'checkpoints');

// ---- Ignored: harmless without the feature ------------------------------------------------------------------
ignored(['blockreconstructionextratxn=<n>', 'blocksonly', 'coinstatsindex', 'maxmempool=<n>',
  'mempoolexpiry=<n>', 'persistmempool', 'persistmempoolv1', 'fastprune', 'asmap=<file>', 'cjdnsreachable', 'discover', 'dns', 'externalip=<ip>', 'forcednsseed', 'listenonion', 'maxreceivebuffer=<n>', 'maxsendbuffer=<n>', 'maxuploadtarget=<n>',
  'i2psam=<ip:port>', 'i2pacceptincoming', 'v2transport', 'peerbloomfilters',
  'peerblockfilters', 'txreconciliation', 'proxyrandomize', 'torcontrol=<ip>:<port>', 'natpmp', 'whitebind=<[permissions@]addr>', 'checkblocks=<n>', 'checklevel=<n>', 'checkblockindex', 'checkaddrman=<n>', 'checkmempool=<n>', 'deprecatedrpc=<method>',
  'limitancestorcount=<n>', 'limitancestorsize=<n>', 'limitdescendantcount=<n>', 'limitdescendantsize=<n>',
  'limitclustercount=<n>', 'limitclustersize=<n>', 'capturemessages', 'maxsigcachesize=<n>', 'printpriority',
  'acceptnonstdtxn', 'incrementalrelayfee=<amt>', 'dustrelayfee=<amt>', 'acceptstalefeeestimates',
  'bytespersigop', 'datacarrier', 'datacarriersize', 'permitbaremultisig', 'minrelaytxfee=<amt>', 'whitelistforcerelay',
  'whitelistrelay', 'blockmaxweight=<n>', 'blockreservedweight=<n>', 'blockmintxfee=<amt>', 'rpcdoccheck',
  'logips', 'logthreadnames', 'logsourcelocations', 'logratelimit', 'signetseednode',
  // Wallet (no wallet in chainsnap: as a Core build without the wallet, which keeps them as hidden options).
  'addresstype', 'avoidpartialspends', 'changetype', 'consolidatefeerate=<amt>', 'disablewallet', 'discardfee=<amt>',
  'fallbackfee=<amt>', 'keypool=<n>', 'maxapsfee=<n>', 'maxtxfee=<amt>', 'mintxfee=<amt>', 'paytxfee=<amt>',
  'signer=<cmd>', 'spendzeroconfchange', 'txconfirmtarget=<n>', 'walletbroadcast', 'walletnotify=<cmd>', 'walletrbf',
  'unsafesqlitesync', 'walletrejectlongchains', 'walletcrosschain',
  // ZMQ (as a Core build without ZMQ).
  'zmqpubhashblock=<address>', 'zmqpubhashtx=<address>', 'zmqpubrawblock=<address>', 'zmqpubrawtx=<address>',
  'zmqpubsequence=<address>', 'zmqpubhashblockhwm=<n>', 'zmqpubhashtxhwm=<n>', 'zmqpubrawblockhwm=<n>',
  'zmqpubrawtxhwm=<n>', 'zmqpubsequencehwm=<n>',
  // Core's hidden GUI and test options.
  'forcecompactdb', 'choosedatadir', 'lang=<lang>', 'min', 'resetguisettings', 'splash', 'uiplatform']);
ignored(['wallet=<path>', 'walletdir=<dir>'], N);
ignored(['torpassword=<pass>'], S);

// ---- Refused: ignoring them would mislead ---------------------------------------------------------------------
refused(['alertnotify=<cmd>', 'blocksdir=<dir>', 'blocknotify=<cmd>', 'loadblock=<file>', 'prune=<n>', 'reindex',
  'startupnotify=<cmd>', 'shutdownnotify=<cmd>', 'txindex', 'blockfilterindex=<type>',
  'stopafterblockimport', 'testactivationheight=name@height.', 'vbparams=deployment:start:end[:min_activation_height]',
  'rest']);
// P2P connects directly: a user who asked for a proxy (Tor, say) must not be connected around it.
refused(['proxy=<ip>[:<port>]|unix:<path>[=<network>]'], NE);
refused(['onion=<ip:port|path>']);

export const OPTIONS: ReadonlyMap<string, OptionSpec> = table;

/** Core's GetArgFlags: the flags of a registered option, or undefined for an unknown one. */
export function optionFlags(name: string): number | undefined {
  return table.get(name)?.flags;
}

export function optionSpec(name: string): OptionSpec | undefined {
  return table.get(name);
}
