/** Core's SCRIPT_VERIFY_* flags (script/interpreter.h) with their bit values, and their names for the vectors. */
// consensus/sigops.ts holds the bits its counting needs (consensus sits below script); the rest are here.
import * as counted from '../consensus/sigops.js';

export const {
  SCRIPT_VERIFY_NONE,
  SCRIPT_VERIFY_P2SH,
  SCRIPT_VERIFY_STRICTENC,
  SCRIPT_VERIFY_DERSIG,
  SCRIPT_VERIFY_LOW_S,
  SCRIPT_VERIFY_NULLDUMMY,
  SCRIPT_VERIFY_CHECKLOCKTIMEVERIFY,
  SCRIPT_VERIFY_CHECKSEQUENCEVERIFY,
  SCRIPT_VERIFY_WITNESS,
  SCRIPT_VERIFY_TAPROOT,
} = counted;
export const SCRIPT_VERIFY_SIGPUSHONLY = 1 << 5;
export const SCRIPT_VERIFY_MINIMALDATA = 1 << 6;
export const SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_NOPS = 1 << 7;
export const SCRIPT_VERIFY_CLEANSTACK = 1 << 8;
export const SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM = 1 << 12;
export const SCRIPT_VERIFY_MINIMALIF = 1 << 13;
export const SCRIPT_VERIFY_NULLFAIL = 1 << 14;
export const SCRIPT_VERIFY_WITNESS_PUBKEYTYPE = 1 << 15;
export const SCRIPT_VERIFY_CONST_SCRIPTCODE = 1 << 16;
export const SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_TAPROOT_VERSION = 1 << 18;
export const SCRIPT_VERIFY_DISCOURAGE_OP_SUCCESS = 1 << 19;
export const SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_PUBKEYTYPE = 1 << 20;
/** Core's MAX_SCRIPT_VERIFY_FLAGS_BITS: the number of flags in use. */
export const SCRIPT_VERIFY_FLAG_BITS = 21;
export const SCRIPT_VERIFY_ALL = (1 << SCRIPT_VERIFY_FLAG_BITS) - 1;

/** Core's MANDATORY_SCRIPT_VERIFY_FLAGS (policy/policy.h): what every block since taproot enforces. */
export const MANDATORY_SCRIPT_VERIFY_FLAGS =
  SCRIPT_VERIFY_P2SH | SCRIPT_VERIFY_DERSIG | SCRIPT_VERIFY_NULLDUMMY | SCRIPT_VERIFY_CHECKLOCKTIMEVERIFY |
  SCRIPT_VERIFY_CHECKSEQUENCEVERIFY | SCRIPT_VERIFY_WITNESS | SCRIPT_VERIFY_TAPROOT;

/** Core's STANDARD_SCRIPT_VERIFY_FLAGS: the mempool's policy flags on top of the mandatory ones. */
export const STANDARD_SCRIPT_VERIFY_FLAGS =
  MANDATORY_SCRIPT_VERIFY_FLAGS | SCRIPT_VERIFY_STRICTENC | SCRIPT_VERIFY_MINIMALDATA | SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_NOPS |
  SCRIPT_VERIFY_CLEANSTACK | SCRIPT_VERIFY_MINIMALIF | SCRIPT_VERIFY_NULLFAIL | SCRIPT_VERIFY_LOW_S |
  SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM | SCRIPT_VERIFY_WITNESS_PUBKEYTYPE | SCRIPT_VERIFY_CONST_SCRIPTCODE |
  SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_TAPROOT_VERSION | SCRIPT_VERIFY_DISCOURAGE_OP_SUCCESS |
  SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_PUBKEYTYPE;

/** Flag names as Core's GetScriptFlagNames spells them (without the SCRIPT_VERIFY_ prefix), in bit order. */
export const SCRIPT_FLAG_NAMES: readonly string[] = [
  'P2SH', 'STRICTENC', 'DERSIG', 'LOW_S', 'NULLDUMMY', 'SIGPUSHONLY', 'MINIMALDATA', 'DISCOURAGE_UPGRADABLE_NOPS',
  'CLEANSTACK', 'CHECKLOCKTIMEVERIFY', 'CHECKSEQUENCEVERIFY', 'WITNESS', 'DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM',
  'MINIMALIF', 'NULLFAIL', 'WITNESS_PUBKEYTYPE', 'CONST_SCRIPTCODE', 'TAPROOT', 'DISCOURAGE_UPGRADABLE_TAPROOT_VERSION',
  'DISCOURAGE_OP_SUCCESS', 'DISCOURAGE_UPGRADABLE_PUBKEYTYPE',
];

/** The vectors' comma-separated flag list ("" or "NONE" = no flags). Throws on an unknown name. */
export function parseScriptFlags(s: string): number {
  if (s === '' || s === 'NONE') return 0;
  let flags = 0;
  for (const word of s.split(',')) {
    const bit = SCRIPT_FLAG_NAMES.indexOf(word);
    if (bit < 0) throw new Error(`unknown verification flag '${word}'`);
    flags |= 1 << bit;
  }
  return flags;
}

/** The inverse of parseScriptFlags, in bit order. */
export function formatScriptFlags(flags: number): string {
  return SCRIPT_FLAG_NAMES.filter((_, bit) => flags & (1 << bit)).join(',');
}
