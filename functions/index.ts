// The app entry Azure loads (package.json "main"): one module per feature, each registering its
// functions at the bottom of its file, with the one Services built at load (./services).
import { app } from '@azure/functions';

import { watchDisconnects } from '../lib/http/disconnect';
import { setupTelemetry } from '../lib/telemetry/setup';
import { services } from './services';

app.setup({ enableHttpStream: true });
setupTelemetry(app, services.env); // before the functions: a no-op unless a telemetry setting is set
watchDisconnects(services); // before the first request: live tails and watches stop when their client goes away

import './health';
import './journal';
import './vms';
import './vm-commands';
import './vm-orchestrations';
import './events';
import './orphan-sweep';
import './journal-stats';
import './ui';
