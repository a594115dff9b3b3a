// The delivery check every sink-fault test ends with: each outbox item delivered, and posted to Slack exactly once.
import { expect } from 'vitest';
import type { Store } from '../../src/store/index.js';
import type { FakeSlack, SlackPost } from '../helpers/slack-server.js';

export interface OutboxRow {
  id: string;
  state: string;
  kind: string;
  thread: string;
}

/** The outbox item a Slack message came from (driftwatch puts its id in the message metadata). */
export const outboxIdOf = (post: SlackPost) => (post.metadata as { event_payload?: { outbox_id?: string } } | undefined)?.event_payload?.outbox_id;

/** `Approval rate dropped`, from a message's text, whatever its kind. */
export const groupOf = (post: SlackPost) => post.text.replace(/ — .*/s, '').replace(/^\S+ (Resolved: |Still firing: )?/, '');

export function outboxRows(store: Store): Promise<OutboxRow[]> {
  return store.select<OutboxRow>(`SELECT id, state, kind, thread FROM driftwatch.driftwatch_outbox FINAL ORDER BY at, created`);
}

/** Nothing lost, nothing twice: every outbox item delivered, and each posted exactly once. */
export async function expectExactlyOnce(store: Store, slack: FakeSlack): Promise<OutboxRow[]> {
  const rows = await outboxRows(store);
  expect(rows.filter((r) => r.state !== 'delivered')).toEqual([]);
  const posted = slack.posts.map(outboxIdOf);
  expect(posted.filter((id) => id === undefined)).toEqual([]);
  expect([...posted].sort()).toEqual(rows.map((r) => r.id).sort());
  return rows;
}
