import { checkedShard, parseShard, type Shard } from '../util/shard.js';

/**
 * Which slice of a config's streams this daemon runs (many cameras, many machines): `i/N`, or `auto` in a
 * Kubernetes StatefulSet, where the pod's ordinal is the trailing number of its host name (fer-stream-live-2)
 * and N comes from FER_STREAM_SHARDS (deploy/k8s/fer-stream-live.yaml). Every daemon reads the same camera list;
 * daemon i runs streams i, i+N, i+2N, ... in the list's order.
 */
export function resolveStreamShard(option: string, env: NodeJS.ProcessEnv = process.env): Shard {
  if (option !== 'auto') return parseShard(option, 'shard');
  const ordinal = /-(\d+)$/.exec(env.HOSTNAME ?? '');
  if (!ordinal)
    throw new RangeError(`shard auto: the host name "${env.HOSTNAME ?? ''}" does not end in -<ordinal> (a StatefulSet pod's does)`);
  return checkedShard(
    Number(ordinal[1]),
    Number(env.FER_STREAM_SHARDS ?? NaN),
    'shard auto (ordinal of HOSTNAME, count FER_STREAM_SHARDS)',
  );
}
