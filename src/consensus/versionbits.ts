/**
 * BIP9 version bits as Core's versionbits.cpp runs them: the per-deployment state machine (defined →
 * started → locked_in → active, or failed), cached per period by the block that ends the previous period
 * (Core's ThresholdConditionCache, keyed by block index entry, so forks keep their own states), the block
 * version a miner signals (ComputeBlockVersion), and the views getblocktemplate and getdeploymentinfo use.
 */

/** Core's BIP9Deployment (consensus/params.h). Times are median-time-past seconds. */
export interface Bip9Deployment {
  /** Bit position in nVersion. */
  bit: number;
  /** Start time, or ALWAYS_ACTIVE / NEVER_ACTIVE. */
  startTime: number;
  /** Timeout time; NO_TIMEOUT for none. */
  timeout: number;
  /** If locked in, activation waits for this height (it still happens on a period boundary). */
  minActivationHeight: number;
  period: number;
  threshold: number;
}

/** Core's DeploymentPos order (consensus/params.h); deploymentinfo.cpp gives each a name. */
export const VERSION_BITS_DEPLOYMENT_NAMES = ['testdummy', 'taproot'] as const;
export type VersionBitsDeploymentName = (typeof VERSION_BITS_DEPLOYMENT_NAMES)[number];
export type VersionBitsDeployments = Readonly<Record<VersionBitsDeploymentName, Bip9Deployment>>;

/** Core's VBDeploymentInfo::gbt_optional_rule: both deployments may be ignored by a miner. */
const GBT_OPTIONAL_RULE: Record<VersionBitsDeploymentName, boolean> = { testdummy: true, taproot: true };

export const ALWAYS_ACTIVE = -1;
export const NEVER_ACTIVE = -2;
/**
 * Core's NO_TIMEOUT is INT64_MAX (9223372036854775807), which a double cannot hold; any larger-than-every-
 * time value compares the same. RPC output must print Core's integer for it.
 */
export const NO_TIMEOUT = Number.MAX_SAFE_INTEGER;
export const NO_TIMEOUT_DISPLAY = '9223372036854775807';

export const VERSIONBITS_TOP_BITS = 0x20000000;
const VERSIONBITS_TOP_MASK = 0xe0000000 | 0;
/** Core's VERSIONBITS_LAST_OLD_BLOCK_VERSION. */
export const VERSIONBITS_LAST_OLD_BLOCK_VERSION = 4;

export type ThresholdState = 'defined' | 'started' | 'locked_in' | 'active' | 'failed';

/** What the state machine reads of a block in the index (BlockIndexEntry fits). */
export interface VersionBitsBlock {
  readonly height: number;
  readonly header: { readonly version: number; readonly time: number };
  readonly prev: VersionBitsBlock | undefined;
}

/** Core's BIP9Stats. */
export interface Bip9Stats {
  period: number;
  threshold: number;
  elapsed: number;
  count: number;
  possible: boolean;
}

/** Core's BIP9Info (getdeploymentinfo's bip9 object). */
export interface Bip9Info {
  since: number;
  currentState: ThresholdState;
  nextState: ThresholdState;
  stats?: Bip9Stats;
  /** Which blocks of the current period signalled (only while signalling applies). */
  signallingBlocks: boolean[];
  activeSince?: number;
}

export interface GbtDeployment {
  bit: number;
  /** uint32 mask, 1 << bit. */
  mask: number;
  gbtOptionalRule: boolean;
}

/** Core's BIP9GBTStatus: deployments by state, names in Core's std::map (sorted) order. */
export interface GbtStatus {
  signalling: Map<VersionBitsDeploymentName, GbtDeployment>;
  lockedIn: Map<VersionBitsDeploymentName, GbtDeployment>;
  active: Map<VersionBitsDeploymentName, GbtDeployment>;
}

export function deploymentMask(dep: Bip9Deployment): number {
  return (1 << dep.bit) >>> 0;
}

/** Core's VersionBitsConditionChecker::Condition: a versionbits block with the deployment's bit set. */
export function signals(version: number, dep: Bip9Deployment): boolean {
  return (version & VERSIONBITS_TOP_MASK) === VERSIONBITS_TOP_BITS && (version & (1 << dep.bit)) !== 0;
}

function medianTimePast(b: VersionBitsBlock): number {
  const times: number[] = [];
  for (let e: VersionBitsBlock | undefined = b; e && times.length < 11; e = e.prev) times.push(e.header.time);
  times.sort((x, y) => x - y);
  return times[Math.floor(times.length / 2)];
}

/**
 * Core's VersionBitsCache for one chain's block index. `ancestor(b, h)` is the index's GetAncestor
 * (undefined for h < 0); the caches live as long as this object, as Core's do until it clears them.
 */
export class VersionBitsCache<B extends VersionBitsBlock> {
  private readonly caches = new Map<VersionBitsDeploymentName, Map<B | null, ThresholdState>>();

  constructor(
    readonly deployments: VersionBitsDeployments,
    private readonly ancestor: (b: B, height: number) => B | undefined,
  ) {
    for (const name of VERSION_BITS_DEPLOYMENT_NAMES) this.caches.set(name, new Map());
  }

  /** Core's GetStateFor: the state of the block after `prev` (undefined = the genesis block's parent). */
  stateFor(prev: B | undefined, name: VersionBitsDeploymentName): ThresholdState {
    const dep = this.deployments[name];
    if (dep.startTime === ALWAYS_ACTIVE) return 'active';
    if (dep.startTime === NEVER_ACTIVE) return 'failed';
    const cache = this.caches.get(name)!;
    // All blocks of a period share its state, computed from the parent of the period's first block.
    let p: B | undefined = prev && this.ancestor(prev, prev.height - ((prev.height + 1) % dep.period));
    const toCompute: B[] = [];
    while (!cache.has(p ?? null)) {
      if (!p) {
        cache.set(null, 'defined');
        break;
      }
      // Every earlier period is before the start time too: no need to walk further back.
      if (medianTimePast(p) < dep.startTime) {
        cache.set(p, 'defined');
        break;
      }
      toCompute.push(p);
      p = this.ancestor(p, p.height - dep.period);
    }
    let state = cache.get(p ?? null)!;
    while (toCompute.length) {
      const at = toCompute.pop()!;
      let next = state;
      switch (state) {
        case 'defined':
          if (medianTimePast(at) >= dep.startTime) next = 'started';
          break;
        case 'started': {
          let count = 0;
          let walk: VersionBitsBlock | undefined = at;
          for (let i = 0; i < dep.period && walk; i++, walk = walk.prev) if (signals(walk.header.version, dep)) count++;
          if (count >= dep.threshold) next = 'locked_in';
          else if (medianTimePast(at) >= dep.timeout) next = 'failed';
          break;
        }
        case 'locked_in':
          if (at.height + 1 >= dep.minActivationHeight) next = 'active';
          break;
        default:
          break;
      }
      cache.set(at, next);
      state = next;
    }
    return state;
  }

  /** Core's GetStateSinceHeightFor: the height at which the state of the block after `prev` began. */
  stateSinceHeightFor(prev: B | undefined, name: VersionBitsDeploymentName): number {
    const dep = this.deployments[name];
    if (dep.startTime === ALWAYS_ACTIVE || dep.startTime === NEVER_ACTIVE) return 0;
    const initial = this.stateFor(prev, name);
    if (initial === 'defined') return 0;
    // Not 'defined' means prev exists and lies past the start.
    let p = this.ancestor(prev!, prev!.height - ((prev!.height + 1) % dep.period))!;
    let previousPeriodParent = this.ancestor(p, p.height - dep.period);
    while (previousPeriodParent && this.stateFor(previousPeriodParent, name) === initial) {
      p = previousPeriodParent;
      previousPeriodParent = this.ancestor(p, p.height - dep.period);
    }
    return p.height + 1;
  }

  /** Core's GetStateStatisticsFor: signalling in the period that contains `block`, up to and including it. */
  statistics(block: B | undefined, name: VersionBitsDeploymentName): { stats: Bip9Stats; signallingBlocks: boolean[] } {
    const dep = this.deployments[name];
    const stats: Bip9Stats = { period: dep.period, threshold: dep.threshold, elapsed: 0, count: 0, possible: false };
    if (!block) return { stats, signallingBlocks: [] };
    let inPeriod = 1 + (block.height % dep.period);
    const signallingBlocks = new Array<boolean>(inPeriod).fill(false);
    let walk: VersionBitsBlock | undefined = block;
    do {
      stats.elapsed++;
      inPeriod--;
      if (signals(walk!.header.version, dep)) {
        stats.count++;
        signallingBlocks[inPeriod] = true;
      }
      walk = walk!.prev;
    } while (inPeriod > 0);
    stats.possible = stats.period - stats.threshold >= stats.elapsed - stats.count;
    return { stats, signallingBlocks };
  }

  /** Core's VersionBitsCache::Info for `block` (getdeploymentinfo). */
  info(block: B, name: VersionBitsDeploymentName): Bip9Info {
    const prev = block.prev as B | undefined;
    const currentState = this.stateFor(prev, name);
    const nextState = this.stateFor(block, name);
    const result: Bip9Info = { since: this.stateSinceHeightFor(prev, name), currentState, nextState, signallingBlocks: [] };
    if (currentState === 'started' || currentState === 'locked_in') {
      const { stats, signallingBlocks } = this.statistics(block, name);
      if (currentState === 'locked_in') {
        stats.threshold = 0;
        stats.possible = false;
      }
      result.stats = stats;
      result.signallingBlocks = signallingBlocks;
    }
    if (currentState === 'active') result.activeSince = result.since;
    else if (nextState === 'active') result.activeSince = block.height + 1;
    return result;
  }

  /** Core's GBTStatus: the deployments of the block after `prev`, by state; defined and failed are hidden. */
  gbtStatus(prev: B): GbtStatus {
    const out: GbtStatus = { signalling: new Map(), lockedIn: new Map(), active: new Map() };
    // Core's std::map iterates names in sorted order.
    for (const name of [...VERSION_BITS_DEPLOYMENT_NAMES].sort()) {
      const dep = this.deployments[name];
      const info: GbtDeployment = { bit: dep.bit, mask: deploymentMask(dep), gbtOptionalRule: GBT_OPTIONAL_RULE[name] };
      const state = this.stateFor(prev, name);
      if (state === 'started') out.signalling.set(name, info);
      else if (state === 'locked_in') out.lockedIn.set(name, info);
      else if (state === 'active') out.active.set(name, info);
    }
    return out;
  }

  isActiveAfter(prev: B | undefined, name: VersionBitsDeploymentName): boolean {
    return this.stateFor(prev, name) === 'active';
  }

  /** Core's ComputeBlockVersion: the top bits plus every deployment that is started or locked in. */
  computeBlockVersion(prev: B | undefined): number {
    let version = VERSIONBITS_TOP_BITS;
    for (const name of VERSION_BITS_DEPLOYMENT_NAMES) {
      const state = this.stateFor(prev, name);
      if (state === 'started' || state === 'locked_in') version |= 1 << this.deployments[name].bit;
    }
    return version;
  }
}
