// Timer: every 30 minutes, deletes the resource groups the app created that no live VM accounts for
// (lib/vms/orphans.ts), e.g. after a delete that failed half-way or a VM record lost with its storage.
import { app } from '@azure/functions';

import { orphanSweepHandler } from '../lib/vms/orphans';
import { services } from './services';

app.timer('orphanSweep', { schedule: '0 7,37 * * * *', handler: orphanSweepHandler(services) });
