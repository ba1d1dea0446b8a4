// The VM orchestrations and their activities (lib/provisioning/orchestrator.ts), registered by name.
import * as df from 'durable-functions';

import * as o from '../lib/provisioning/orchestrator';
import { services } from './services';

df.app.orchestration(o.ORCH_PROVISION, o.provisionVm);
df.app.orchestration(o.ORCH_DELETE, o.runOperation);
df.app.orchestration(o.ORCH_POWER, o.runOperation);
df.app.activity(o.ACT_PROGRESS, { handler: o.recordProgressActivity(services) });
df.app.activity(o.ACT_BEGIN, { handler: o.beginActivity(services) });
df.app.activity(o.ACT_POLL, { handler: o.pollActivity(services) });
df.app.activity(o.ACT_ADDRESSES, { handler: o.addressesActivity(services) });
df.app.activity(o.ACT_READ_ADDRESSES, { handler: o.readAddressesActivity(services) });
df.app.activity(o.ACT_FORGET_TOKEN, { handler: o.forgetTokenActivity(services) });
df.app.activity(o.ACT_FORGET_JOURNAL, { handler: o.forgetJournalActivity(services) });
