import { InputError } from './inputError.js';

/** Shard `index` of `count` (0-based): one of several processes that split a list between them. */
export interface Shard {
  index: number;
  count: number;
}

/** `i/N` as given on a command line (`--shard 0/4`). */
export function parseShard(text: string, source: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  if (!m) throw new InputError(`${source}: expected i/N (e.g. 0/4), got "${text}"`);
  return checkedShard(Number(m[1]), Number(m[2]), source);
}

export function checkedShard(index: number, count: number, source: string): Shard {
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(index) || index < 0 || index >= count) {
    throw new InputError(`${source}: shard ${index} of ${count} is not a shard (0 <= i < N)`);
  }
  return { index, count };
}

/** The items of one shard: every N-th, starting at i (shards differ in size by one item at most). */
export function shardItems<T>(items: T[], shard: Shard | undefined): T[] {
  return shard ? items.filter((_, i) => i % shard.count === shard.index) : items;
}
