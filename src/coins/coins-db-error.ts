/** A chainstate database that cannot be opened or read as one (missing, malformed, damaged). */
export class CoinsDBError extends Error {
  override name = 'CoinsDBError';
}
