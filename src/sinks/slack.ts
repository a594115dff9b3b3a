// The Slack receiver: Block Kit messages through @slack/web-api, one thread per group announcement (or shadow), behind the outbox.
import { LogLevel, WebClient, type FetchFunction, type Logger as SlackLogger, type RetryOptions } from '@slack/web-api';
import { isDecision, type AnyNotification, type Notification } from '../alerts/types.js';
import type { Config } from '../config/index.js';
import { silentLogger, type Logger } from '../log.js';
import type { Store } from '../store/index.js';
import { ConsoleDelivery, type ConsoleOptions } from './console.js';
import { Outbox, scrubSecrets, type AlertDelivery, type DeliveryContext, type OutboxOptions, type Receipt, type Receiver } from './outbox.js';
import { describeNotification } from './slack/message.js';
import { slackMessageFor, toSlackMessage } from './slack/render.js';

export interface SlackReceiverOptions {
  /** The bot token (SLACK_BOT_TOKEN); kept private, never logged. */
  token: string;
  logger?: Logger;
  /** WebClient's own retries within one delivery attempt (429 honours Retry-After); the outbox retries beyond. */
  retryConfig?: RetryOptions;
  /** Per request, in ms. */
  timeoutMs?: number;
  /** Rewrite the thread's first message to show the group's current status (default true). */
  updateParent?: boolean;
}

/** A few quick retries ride out a blip; longer outages are the outbox's job, so a delivery never blocks for long. */
const DEFAULT_RETRY: RetryOptions = { retries: 3, factor: 2, minTimeout: 1_000, maxTimeout: 8_000, randomize: true };

/** Thrown instead of starting a request after the delivery's deadline: past it, the outbox may hand the item to someone else. */
export class DeadlineError extends Error {
  constructor() {
    super('delivery deadline passed; not starting another request');
    this.name = 'DeadlineError';
  }
}

/** WebClient's debug lines carry request bodies; they stay out, and the rest goes to debug, scrubbed. */
function slackLogger(logger: Logger): SlackLogger {
  let level = LogLevel.INFO;
  const line = (msg: unknown[]) => scrubSecrets(msg.map(String).join(' '));
  return {
    debug: () => undefined,
    info: (...msg: unknown[]) => logger.debug({ module: 'slack' }, line(msg)),
    warn: (...msg: unknown[]) => logger.debug({ module: 'slack' }, line(msg)),
    error: (...msg: unknown[]) => logger.warn({ module: 'slack' }, line(msg)),
    setLevel: (next: LogLevel) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}

export class SlackReceiver implements Receiver {
  readonly name = 'slack';
  readonly requestTimeoutMs: number;
  readonly #token: string;
  private readonly logger: Logger;

  constructor(
    private readonly config: Config,
    private readonly options: SlackReceiverOptions,
  ) {
    this.#token = options.token;
    this.requestTimeoutMs = options.timeoutMs ?? 10_000;
    this.logger = options.logger ?? silentLogger;
  }

  /** One client per delivery, so its fetch knows this delivery's deadline even across WebClient's own retries. */
  private client(deadline: number): WebClient {
    const guarded: FetchFunction = (url, init) => {
      if (Date.now() > deadline) return Promise.reject(new DeadlineError());
      return fetch(url, init) as ReturnType<FetchFunction>;
    };
    return new WebClient(this.#token, {
      slackApiUrl: this.config.sinks.slack.apiUrl.replace(/\/?$/, '/'),
      retryConfig: this.options.retryConfig ?? DEFAULT_RETRY,
      timeout: this.requestTimeoutMs,
      logger: slackLogger(this.logger),
      fetch: guarded,
    });
  }

  async deliver(n: AnyNotification, context: DeliveryContext): Promise<Receipt> {
    const client = this.client(context.deadline);
    const { text, blocks } = slackMessageFor(n, this.config);
    const message = {
      text,
      blocks,
      unfurl_links: false,
      unfurl_media: false,
      // Not shown; lets anyone reading the channel history tell which outbox item a message came from.
      metadata: { event_type: n.kind === 'verdict' ? 'driftwatch_shadow_verdict' : n.kind === 'experiment' ? 'driftwatch_experiment_verdict' : 'driftwatch_alert', event_payload: { outbox_id: context.id, kind: n.kind } },
    };
    const root = context.thread?.ts && context.thread.channel ? context.thread : undefined;
    if (!root) {
      const posted = await client.chat.postMessage({ channel: this.config.sinks.slack.channel, ...message });
      return { channel: String(posted.channel), ts: String(posted.ts) };
    }
    // Replies stay quiet in the thread, except when they page again: new alerts, the repeat of a still-firing group,
    // or a shadow's new verdict (the thread keeps the shadow's history; the channel still sees each change).
    // An incident's evidence is the thread's own detail: it never goes back to the channel.
    const broadcast = isDecision(n) || n.kind === 'repeat' || (n.kind !== 'evidence' && n.alerts.some((a) => a.isNew));
    const posted = await client.chat.postMessage({ channel: root.channel as string, thread_ts: root.ts as string, reply_broadcast: broadcast, ...message });
    // A verdict thread's first message is that verdict's own announcement, not a status to keep current.
    // Nor is the evidence that follows a headline, posted in the same cycle: the parent is already current.
    if (!isDecision(n) && n.kind !== 'evidence' && (this.options.updateParent ?? true)) await this.updateParent(client, root, n);
    return { channel: String(posted.channel), ts: String(posted.ts), thread_ts: root.ts as string };
  }

  /**
   * Best effort: the reply is already posted (and must not be posted again), so a failure here is only logged.
   * The parent then shows the group as it is now: its firing alerts, or that everything resolved.
   */
  private async updateParent(client: WebClient, root: Receipt, n: Notification): Promise<void> {
    const status: Notification = n.kind === 'resolved' ? n : { ...n, kind: 'firing', resolved: [], alerts: n.alerts.map((a) => ({ ...a, isNew: false })) };
    const { text, blocks } = toSlackMessage(describeNotification(status, this.config));
    try {
      await client.chat.update({ channel: root.channel as string, ts: root.ts as string, text, blocks });
    } catch (error) {
      this.logger.warn({ module: 'slack', error: scrubSecrets((error as Error).message) }, 'could not update the thread parent');
    }
  }
}

export interface AlertDeliveryOptions {
  logger?: Logger;
  env?: NodeJS.ProcessEnv;
  slack?: Omit<SlackReceiverOptions, 'token' | 'logger'>;
  outbox?: OutboxOptions;
  console?: ConsoleOptions;
}

/**
 * Slack through the outbox when SLACK_BOT_TOKEN is set, else the console (what `driftwatch demo` shows).
 * Pass the result to `AlertEngine.open(…, { queue })` and call `flush()` on start and after every cycle.
 */
export async function openAlertDelivery(store: Store, config: Config, options: AlertDeliveryOptions = {}): Promise<AlertDelivery> {
  const token = (options.env ?? process.env).SLACK_BOT_TOKEN;
  const logger = options.logger ?? silentLogger;
  if (!token) return new ConsoleDelivery(config, options.console);
  const receiver = new SlackReceiver(config, { ...options.slack, token, logger });
  return Outbox.open(store, config, receiver, { logger, ...options.outbox });
}
