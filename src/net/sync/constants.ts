/** Core's block-sync constants (net_processing.cpp), in milliseconds where they are durations. */

/** Headers per headers message (MAX_HEADERS_RESULTS). */
export const MAX_HEADERS_RESULTS = 2000;
export const MAX_BLOCKS_IN_TRANSIT_PER_PEER = 16;
export const BLOCK_DOWNLOAD_WINDOW = 1024;
export const BLOCK_STALLING_TIMEOUT_DEFAULT_MS = 2_000;
export const BLOCK_STALLING_TIMEOUT_MAX_MS = 64_000;
/** Block download timeout: one block interval, plus half of one per other peer we download from. */
export const BLOCK_DOWNLOAD_TIMEOUT_BASE = 1;
export const BLOCK_DOWNLOAD_TIMEOUT_PER_PEER = 0.5;
export const HEADERS_DOWNLOAD_TIMEOUT_BASE_MS = 15 * 60_000;
export const HEADERS_DOWNLOAD_TIMEOUT_PER_HEADER_MS = 1;
/** A getheaders without answer for this long may be sent again (HEADERS_RESPONSE_TIME). */
export const HEADERS_RESPONSE_TIME_MS = 2 * 60_000;
export const MAX_BLOCKS_TO_ANNOUNCE = 8;
/** Blocks a NODE_NETWORK_LIMITED peer keeps (NODE_NETWORK_LIMITED_MIN_BLOCKS). */
export const NODE_NETWORK_LIMITED_MIN_BLOCKS = 288;
/** Unrequested blocks further than this above our tip are not stored (MIN_BLOCKS_TO_KEEP). */
export const MIN_BLOCKS_TO_KEEP = 288;
/** The getheaders locator's version field (CBlockLocator's DUMMY_VERSION). */
export const LOCATOR_VERSION = 70016;

export const NODE_NETWORK = 1n;
export const NODE_WITNESS = 1n << 3n;
export const NODE_NETWORK_LIMITED = 1n << 10n;
