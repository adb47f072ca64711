/** Script opcodes by Core's names (script/script.h), the script limits, and script parsing (GetScriptOp and friends). */
export const enum Op {
  OP_0 = 0x00, OP_PUSHDATA1 = 0x4c, OP_PUSHDATA2 = 0x4d, OP_PUSHDATA4 = 0x4e, OP_1NEGATE = 0x4f, OP_RESERVED = 0x50,
  OP_1 = 0x51, OP_16 = 0x60,
  OP_NOP = 0x61, OP_VER = 0x62, OP_IF = 0x63, OP_NOTIF = 0x64, OP_VERIF = 0x65, OP_VERNOTIF = 0x66, OP_ELSE = 0x67,
  OP_ENDIF = 0x68, OP_VERIFY = 0x69, OP_RETURN = 0x6a,
  OP_TOALTSTACK = 0x6b, OP_FROMALTSTACK = 0x6c, OP_2DROP = 0x6d, OP_2DUP = 0x6e, OP_3DUP = 0x6f, OP_2OVER = 0x70,
  OP_2ROT = 0x71, OP_2SWAP = 0x72, OP_IFDUP = 0x73, OP_DEPTH = 0x74, OP_DROP = 0x75, OP_DUP = 0x76, OP_NIP = 0x77,
  OP_OVER = 0x78, OP_PICK = 0x79, OP_ROLL = 0x7a, OP_ROT = 0x7b, OP_SWAP = 0x7c, OP_TUCK = 0x7d,
  OP_CAT = 0x7e, OP_SUBSTR = 0x7f, OP_LEFT = 0x80, OP_RIGHT = 0x81, OP_SIZE = 0x82,
  OP_INVERT = 0x83, OP_AND = 0x84, OP_OR = 0x85, OP_XOR = 0x86, OP_EQUAL = 0x87, OP_EQUALVERIFY = 0x88,
  OP_RESERVED1 = 0x89, OP_RESERVED2 = 0x8a,
  OP_1ADD = 0x8b, OP_1SUB = 0x8c, OP_2MUL = 0x8d, OP_2DIV = 0x8e, OP_NEGATE = 0x8f, OP_ABS = 0x90, OP_NOT = 0x91,
  OP_0NOTEQUAL = 0x92, OP_ADD = 0x93, OP_SUB = 0x94, OP_MUL = 0x95, OP_DIV = 0x96, OP_MOD = 0x97, OP_LSHIFT = 0x98,
  OP_RSHIFT = 0x99, OP_BOOLAND = 0x9a, OP_BOOLOR = 0x9b, OP_NUMEQUAL = 0x9c, OP_NUMEQUALVERIFY = 0x9d,
  OP_NUMNOTEQUAL = 0x9e, OP_LESSTHAN = 0x9f, OP_GREATERTHAN = 0xa0, OP_LESSTHANOREQUAL = 0xa1,
  OP_GREATERTHANOREQUAL = 0xa2, OP_MIN = 0xa3, OP_MAX = 0xa4, OP_WITHIN = 0xa5,
  OP_RIPEMD160 = 0xa6, OP_SHA1 = 0xa7, OP_SHA256 = 0xa8, OP_HASH160 = 0xa9, OP_HASH256 = 0xaa,
  OP_CODESEPARATOR = 0xab, OP_CHECKSIG = 0xac, OP_CHECKSIGVERIFY = 0xad, OP_CHECKMULTISIG = 0xae,
  OP_CHECKMULTISIGVERIFY = 0xaf,
  OP_NOP1 = 0xb0, OP_CHECKLOCKTIMEVERIFY = 0xb1, OP_CHECKSEQUENCEVERIFY = 0xb2, OP_NOP4 = 0xb3, OP_NOP10 = 0xb9,
  OP_CHECKSIGADD = 0xba, OP_INVALIDOPCODE = 0xff,
}

/** Core's MAX_SCRIPT_ELEMENT_SIZE, MAX_OPS_PER_SCRIPT, MAX_PUBKEYS_PER_MULTISIG, MAX_STACK_SIZE, MAX_SCRIPT_SIZE. */
export const MAX_SCRIPT_ELEMENT_SIZE = 520;
export const MAX_OPS_PER_SCRIPT = 201;
export const MAX_PUBKEYS_PER_MULTISIG = 20;
export const MAX_STACK_SIZE = 1000;
export const MAX_SCRIPT_SIZE = 10_000;

/** One parsed op: the opcode, its push data (a view) and where the next op starts. */
export interface ParsedOp {
  opcode: number;
  data: Uint8Array | undefined;
  next: number;
}

const EMPTY = new Uint8Array(0);

/**
 * Core's GetScriptOp: reads the op at `pc`. Undefined when a push runs past the end (Core's failure: the
 * opcode is then OP_INVALIDOPCODE for the caller's purposes).
 */
export function readOp(s: Uint8Array, pc: number): ParsedOp | undefined {
  if (pc >= s.length) return undefined;
  const opcode = s[pc++];
  if (opcode > Op.OP_PUSHDATA4) return { opcode, data: undefined, next: pc };
  let size = opcode;
  if (opcode === Op.OP_PUSHDATA1) {
    if (s.length - pc < 1) return undefined;
    size = s[pc++];
  } else if (opcode === Op.OP_PUSHDATA2) {
    if (s.length - pc < 2) return undefined;
    size = s[pc] | (s[pc + 1] << 8);
    pc += 2;
  } else if (opcode === Op.OP_PUSHDATA4) {
    if (s.length - pc < 4) return undefined;
    size = (s[pc] | (s[pc + 1] << 8) | (s[pc + 2] << 16)) + s[pc + 3] * 0x1000000;
    pc += 4;
  }
  if (s.length - pc < size) return undefined;
  return { opcode, data: size === 0 ? EMPTY : s.subarray(pc, pc + size), next: pc + size };
}

/**
 * Core's GetScriptOp, for walking a script without looking at its pushes: the position after the op at
 * `pc`, or, when it does not parse (or `pc` is at the end), -1 minus the position where Core's cursor stops.
 */
export function skipOp(s: Uint8Array, pc: number): number {
  if (pc >= s.length) return -1 - pc;
  const opcode = s[pc++];
  if (opcode > Op.OP_PUSHDATA4) return pc;
  let size = opcode;
  const lenBytes = opcode === Op.OP_PUSHDATA1 ? 1 : opcode === Op.OP_PUSHDATA2 ? 2 : opcode === Op.OP_PUSHDATA4 ? 4 : 0;
  if (lenBytes > 0) {
    if (s.length - pc < lenBytes) return -1 - pc;
    size = 0;
    for (let i = lenBytes - 1; i >= 0; i--) size = size * 256 + s[pc + i];
    pc += lenBytes;
  }
  if (s.length - pc < size) return -1 - pc;
  return pc + size;
}

/** Core's CheckMinimalPush: the push used the shortest encoding for its data. */
export function checkMinimalPush(data: Uint8Array, opcode: number): boolean {
  const n = data.length;
  if (n === 0) return opcode === Op.OP_0;
  if (n === 1 && data[0] >= 1 && data[0] <= 16) return false;
  if (n === 1 && data[0] === 0x81) return false;
  if (n <= 75) return opcode === n;
  if (n <= 255) return opcode === Op.OP_PUSHDATA1;
  if (n <= 65535) return opcode === Op.OP_PUSHDATA2;
  return true;
}

/** Core's CScript::IsPushOnly: every op is a push (OP_RESERVED counts) and the script parses. */
export function isPushOnly(s: Uint8Array): boolean {
  for (let pc = 0; pc < s.length; ) {
    const next = skipOp(s, pc);
    if (next < 0 || s[pc] > Op.OP_16) return false;
    pc = next;
  }
  return true;
}

/** Core's CScript::IsPayToScriptHash. */
export function isPayToScriptHash(s: Uint8Array): boolean {
  return s.length === 23 && s[0] === Op.OP_HASH160 && s[1] === 0x14 && s[22] === Op.OP_EQUAL;
}

/** Core's CScript::IsWitnessProgram: the version and program, or undefined. */
export function witnessProgram(s: Uint8Array): { version: number; program: Uint8Array } | undefined {
  if (s.length < 4 || s.length > 42) return undefined;
  if (s[0] !== Op.OP_0 && (s[0] < Op.OP_1 || s[0] > Op.OP_16)) return undefined;
  if (s[1] + 2 !== s.length) return undefined;
  return { version: s[0] === 0 ? 0 : s[0] - 0x50, program: s.subarray(2) };
}

/** Core's IsOpSuccess (BIP342). */
export function isOpSuccess(op: number): boolean {
  return op === 80 || op === 98 || (op >= 126 && op <= 129) || (op >= 131 && op <= 134) || (op >= 137 && op <= 138) ||
    (op >= 141 && op <= 142) || (op >= 149 && op <= 153) || (op >= 187 && op <= 254);
}
