import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, hostname, totalmem } from 'node:os';
import { join } from 'node:path';

/**
 * A real one-node Slurm cluster on this machine (Debian's slurm-wlm and munge), as ../shared/notes/real-parts.md
 * describes: munged, then slurmctld and slurmd on localhost with a config of their own in `dir`. Needs root
 * (munge and the daemons); `reason` says why one cannot start here.
 */
export interface SlurmCluster {
  env: NodeJS.ProcessEnv;
  stop(): void;
}

export function slurmUnavailable(): string | undefined {
  for (const bin of ['/usr/sbin/slurmctld', '/usr/sbin/slurmd', '/usr/sbin/munged', '/usr/bin/sbatch']) {
    if (!existsSync(bin)) return `${bin} is missing (apt-get install slurm-wlm munge; .ci/run does)`;
  }
  if (process.getuid?.() !== 0) return 'starting munged, slurmctld and slurmd needs root';
  return undefined;
}

export function startSlurm(dir: string): SlurmCluster {
  const host = hostname().split('.')[0];
  for (const d of ['state', 'spool', 'log']) mkdirSync(join(dir, d), { recursive: true });
  const conf = join(dir, 'slurm.conf');
  writeFileSync(
    conf,
    [
      'ClusterName=ferstream',
      `SlurmctldHost=${host}`,
      'AuthType=auth/munge',
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'SlurmUser=root',
      'SlurmdUser=root',
      `StateSaveLocation=${join(dir, 'state')}`,
      `SlurmdSpoolDir=${join(dir, 'spool')}`,
      `SlurmctldLogFile=${join(dir, 'log', 'slurmctld.log')}`,
      `SlurmdLogFile=${join(dir, 'log', 'slurmd.log')}`,
      `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
      `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_Core_Memory',
      'ReturnToService=2',
      'MpiDefault=none',
      'JobAcctGatherType=jobacct_gather/none',
      `NodeName=${host} CPUs=${availableParallelism()} RealMemory=${Math.floor(totalmem() / 2 ** 20 / 2)} State=UNKNOWN`,
      `PartitionName=batch Nodes=${host} Default=YES MaxTime=INFINITE State=UP`,
      '',
    ].join('\n'),
  );
  const env = { ...process.env, SLURM_CONF: conf };
  // munged: the key Debian's package made, or one of our own.
  const mungeKey = '/etc/munge/munge.key';
  if (!existsSync(mungeKey)) execFileSync('/usr/sbin/mungekey', ['--create', '--keyfile', mungeKey]);
  mkdirSync('/run/munge', { recursive: true });
  spawnSync('chown', ['munge:munge', '/run/munge']);
  const mungePid = '/run/munge/munged.pid';
  if (!existsSync(mungePid) || !isAlive(Number(readFileSync(mungePid, 'utf8')))) execFileSync('/usr/sbin/munged', ['--force']);
  execFileSync('/usr/sbin/slurmctld', ['-f', conf], { env });
  execFileSync('/usr/sbin/slurmd', ['-f', conf], { env });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const state = spawnSync('sinfo', ['-h', '-o', '%t'], { env, encoding: 'utf8' }).stdout.trim();
    if (state === 'idle') break;
    if (Date.now() > deadline) throw new Error(`slurm node did not become idle (state "${state}"); logs in ${join(dir, 'log')}`);
    spawnSync('sleep', ['0.5']);
  }
  return {
    env,
    stop() {
      spawnSync('scontrol', ['shutdown'], { env });
    },
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
