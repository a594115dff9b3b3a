// The console receiver: without SLACK_BOT_TOKEN, alerts and verdict changes are printed as the text Slack would have shown.
import type { AnyNotification } from '../alerts/types.js';
import type { Config } from '../config/index.js';
import type { AlertDelivery, FlushReport, Receiver } from './outbox.js';
import { plainTextFor } from './slack/render.js';

export interface ConsoleOptions {
  /** Where a message goes; stdout by default (logs are on stderr, so alerts stand out in `driftwatch demo`). */
  write?: (text: string) => void;
}

const RULE = '─'.repeat(72);

/** The message as a block of text between rules, every user value cleaned of control characters. */
export function formatForConsole(n: AnyNotification, config: Config): string {
  return `${RULE}\n${plainTextFor(n, config)}\n${RULE}\n`;
}

export class ConsoleReceiver implements Receiver {
  readonly name = 'console';
  private readonly write: (text: string) => void;

  constructor(
    private readonly config: Config,
    options: ConsoleOptions = {},
  ) {
    this.write = options.write ?? ((text) => process.stdout.write(text));
  }

  async deliver(n: AnyNotification): Promise<void> {
    this.write(formatForConsole(n, this.config));
  }
}

/** Printing cannot fail in a way a retry would fix, so the console needs no outbox: queued means printed. */
export class ConsoleDelivery implements AlertDelivery {
  readonly sink = 'console';
  private readonly receiver: ConsoleReceiver;

  constructor(config: Config, options: ConsoleOptions = {}) {
    this.receiver = new ConsoleReceiver(config, options);
  }

  async enqueue(notifications: readonly AnyNotification[]): Promise<void> {
    for (const n of notifications) await this.receiver.deliver(n);
  }

  async flush(): Promise<FlushReport> {
    return { delivered: 0, failed: 0, deferred: 0 };
  }

  async send(notifications: readonly AnyNotification[]): Promise<FlushReport> {
    await this.enqueue(notifications);
    return { delivered: notifications.length, failed: 0, deferred: 0 };
  }
}
