// The VM-side files of the journal agent (infra/vm/). They are read from the package at run time, so
// the shell script stays a real file that can be linted, tested with dash and read by humans; the
// deployed package keeps infra/vm (.funcignore leaves out only infra/bicep).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { AppError } from '../errors';

/** Where cloud-init puts each file on the VM (the unit and env template refer to these paths). */
export const AGENT_PATHS = {
  script: '/usr/local/lib/vm-journal/journal-agent.sh',
  unit: '/etc/systemd/system/vm-journal-agent.service',
  env: '/etc/vm-journal/agent.env',
  token: '/etc/vm-journal/ingest-token',
} as const;

export const AGENT_UNIT_NAME = 'vm-journal-agent.service';

export interface AgentAssets {
  /** infra/vm/journal-agent.sh */
  script: string;
  /** infra/vm/vm-journal-agent.service */
  unit: string;
  /** infra/vm/agent.env, with the @INGEST_URL@ placeholder */
  envTemplate: string;
}

const ASSET_DIR = join('infra', 'vm');

/** The package root: the nearest folder above this module holding package.json and infra/vm. */
export function packageRoot(from = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, ASSET_DIR))) return dir;
    if (dirname(dir) === dir)
      throw new AppError(
        'AgentAssetsMissing',
        500,
        `${ASSET_DIR} was not found above ${from}; the deployed package must include it`,
      );
  }
}

let cached: AgentAssets | undefined;

export function agentAssets(): AgentAssets {
  if (!cached) {
    const dir = join(packageRoot(), ASSET_DIR);
    const read = (name: string) => readFileSync(join(dir, name), 'utf8');
    cached = Object.freeze({
      script: read('journal-agent.sh'),
      unit: read('vm-journal-agent.service'),
      envTemplate: read('agent.env'),
    });
  }
  return cached;
}
