// Timer: every 30 minutes, deletes the resource groups the app created that no live VM accounts for
// (lib/vms/orphans.ts), e.g. after a delete that failed half-way or a VM record lost with its storage.
import { app, type InvocationContext } from '@azure/functions';

import { sweepOrphans } from '../lib/vms/orphans';

export async function orphanSweep(_timer: unknown, context: InvocationContext): Promise<void> {
  const swept = await sweepOrphans();
  for (const s of swept) {
    context.log(`Orphan sweep: deleting resource group ${s.resourceGroup} of VM ${s.vm} (${s.reason}).`);
  }
}

app.timer('orphanSweep', { schedule: '0 7,37 * * * *', handler: orphanSweep });
