// The app entry Azure loads (package.json "main"): one module per feature, each registering its
// functions at the bottom of its file.
import { app } from '@azure/functions';

app.setup({ enableHttpStream: true });

import './health';
import './journal';
import './vms';
import './vm-commands';
import './vm-orchestrations';
import './events';
import './orphan-sweep';
import './journal-stats';
import './ui';
