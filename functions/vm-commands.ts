// The command queue and its poison queue (handlers in lib/vms/command-queue.ts).
import { app } from '@azure/functions';
import * as df from 'durable-functions';

import { handlePoisonCommand, handleVmCommand } from '../lib/vms/command-queue';
import { services } from './services';

const queueName = services.config.COMMAND_QUEUE_NAME;

app.storageQueue('vmCommands', {
  queueName,
  connection: 'AzureWebJobsStorage',
  extraInputs: [df.input.durableClient()],
  handler: handleVmCommand(services),
});

app.storageQueue('vmCommandsPoison', {
  queueName: `${queueName}-poison`,
  connection: 'AzureWebJobsStorage',
  handler: handlePoisonCommand(services),
});
