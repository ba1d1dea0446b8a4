// Queue triggers on Azurite, with the semantics of the WebJobs queue listener: batches, base64 by
// default, dequeueCount/id/insertionTime in trigger metadata, visibility timeout on failure, and
// `<queue>-poison` once a message has failed maxDequeueCount times.
import { QueueClient } from '@azure/storage-queue';

import type { QueueSettings } from './host-json';
import type { LogSink } from './logger';
import { type AppSettings, resolveSetting, storageConnection } from './settings';
import type { FunctionInfo, InvokeRequest, InvokeResult } from './types';

type DequeuedMessage = Awaited<ReturnType<QueueClient['receiveMessages']>>['receivedMessageItems'][number];

const MIN_POLL_MS = 50;

export class QueueListener {
  #stopped = false;
  #wake: (() => void) | undefined;
  #hurry: (() => void) | undefined;
  #poked = false;
  #loop: Promise<void> | undefined;
  readonly queueName: string;
  readonly #queue: QueueClient;
  readonly #poison: QueueClient;

  constructor(
    private readonly reg: FunctionInfo,
    private readonly settings: QueueSettings,
    private readonly invoke: (req: InvokeRequest) => Promise<InvokeResult>,
    private readonly log: LogSink,
    appSettings: AppSettings,
  ) {
    this.queueName = resolveSetting(String(reg.trigger.queueName), appSettings).toLowerCase();
    // On Azure a too long name only fails when the first message is poisoned: refuse it at start.
    if (`${this.queueName}-poison`.length > 63)
      throw new Error(
        `Queue trigger ${reg.name}: queue "${this.queueName}" is longer than 56 characters, so its poison queue "<name>-poison" would exceed the 63 characters of a queue name.`,
      );
    const connection = storageConnection(reg.trigger.connection, appSettings);
    this.#queue = new QueueClient(connection, this.queueName);
    this.#poison = new QueueClient(connection, `${this.queueName}-poison`);
  }

  async start(): Promise<void> {
    await this.#queue.createIfNotExists();
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#loop;
  }

  /**
   * Polls now instead of at the end of the backoff: the host calls it when one of the app's HTTP
   * functions has finished, since it may have queued a message (the WebJobs host's SharedQueueWatcher
   * does the same for messages its own functions add). Locally this is what lets a command start its
   * orchestration as soon as the request that queued it has returned. Polls stay MIN_POLL_MS apart, so
   * a stream of requests costs at most 20 polls a second.
   */
  poke(): void {
    this.#poked = true;
    this.#hurry?.();
  }

  /**
   * As the WebJobs listener: fetch a batch, and fetch the next one as soon as the messages in flight
   * drop to newBatchThreshold, so up to batchSize + newBatchThreshold run at once.
   */
  async #run(): Promise<void> {
    let delay = MIN_POLL_MS;
    const inFlight = new Set<Promise<void>>();
    while (!this.#stopped) {
      if (inFlight.size > this.settings.newBatchThreshold) {
        await Promise.race(inFlight);
        continue;
      }
      let messages: DequeuedMessage[] = [];
      try {
        const batch = await this.#queue.receiveMessages({
          numberOfMessages: Math.min(32, Math.max(1, this.settings.batchSize)),
          visibilityTimeout: 600, // renewed implicitly by finishing within it; failures reset it below
        });
        messages = batch.receivedMessageItems;
      } catch (e) {
        if (this.#stopped) break;
        this.#logLine('warning', `Polling queue "${this.queueName}" failed: ${(e as Error).message}`);
      }
      if (messages.length === 0) {
        await this.#sleep(this.#poked ? MIN_POLL_MS : delay);
        delay = this.#poked ? MIN_POLL_MS : Math.min(delay * 2, this.settings.maxPollingIntervalMs);
        this.#poked = false;
        continue;
      }
      delay = MIN_POLL_MS;
      for (const m of messages) {
        const p = this.#process(m)
          .catch((e: unknown) => this.#logLine('error', `Queue "${this.queueName}": ${(e as Error).message}`))
          .finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
    }
    await Promise.all(inFlight);
  }

  async #process(message: DequeuedMessage): Promise<void> {
    if (message.dequeueCount > this.settings.maxDequeueCount) return this.#moveToPoison(message);
    const text =
      this.settings.messageEncoding === 'base64'
        ? Buffer.from(message.messageText, 'base64').toString('utf8')
        : message.messageText;
    try {
      await this.invoke({
        functionName: this.reg.name,
        triggerData: { string: text },
        triggerMetadata: {
          DequeueCount: { json: String(message.dequeueCount) },
          Id: { string: message.messageId },
          PopReceipt: { string: message.popReceipt },
          InsertionTime: { json: JSON.stringify(message.insertedOn.toISOString()) },
          ExpirationTime: { json: JSON.stringify(message.expiresOn.toISOString()) },
          NextVisibleTime: { json: JSON.stringify(message.nextVisibleOn.toISOString()) },
        },
      });
      await this.#queue.deleteMessage(message.messageId, message.popReceipt);
    } catch (e) {
      this.#logLine(
        'error',
        `Message ${message.messageId} of queue "${this.queueName}" failed (dequeueCount ${message.dequeueCount}): ${(e as Error).message}`,
      );
      if (message.dequeueCount >= this.settings.maxDequeueCount) return this.#moveToPoison(message);
      await this.#queue
        .updateMessage(
          message.messageId,
          message.popReceipt,
          undefined,
          Math.ceil(this.settings.visibilityTimeoutMs / 1000),
        )
        .catch(() => undefined); // if the receipt expired, the message becomes visible again anyway
    }
  }

  async #moveToPoison(message: DequeuedMessage): Promise<void> {
    await this.#poison.createIfNotExists();
    await this.#poison.sendMessage(message.messageText);
    await this.#queue.deleteMessage(message.messageId, message.popReceipt);
    this.#logLine('warning', `Message ${message.messageId} moved to queue "${this.queueName}-poison".`);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      let timer = setTimeout(resolve, ms);
      let due = Date.now() + ms;
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
      this.#hurry = () => {
        if (due - Date.now() <= MIN_POLL_MS) return;
        clearTimeout(timer);
        due = Date.now() + MIN_POLL_MS; // later pokes do not push it back
        timer = setTimeout(resolve, MIN_POLL_MS);
      };
    });
  }

  #logLine(level: 'warning' | 'error', message: string) {
    this.log({ time: new Date(), level, category: 'system', functionName: this.reg.name, message });
  }
}
