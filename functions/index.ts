// The app entry Azure loads (package.json "main"): one module per feature, each registering its
// functions at the bottom of its file.
import { app } from '@azure/functions';

import { setupTelemetry } from '../lib/telemetry/setup';

app.setup({ enableHttpStream: true });
setupTelemetry(app); // before the functions: a no-op unless a telemetry setting is set

import './health';
import './journal';
import './vms';
import './vm-commands';
import './vm-orchestrations';
import './events';
import './orphan-sweep';
import './journal-stats';
import './ui';
