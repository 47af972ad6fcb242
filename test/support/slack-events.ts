import { createHmac } from "node:crypto";

export const TEAM = "T0TEAM";
export const BOT_USER = "U0BOT";
export const BOT_ID = "B0BOT";

let eventCounter = 0;
let tsCounter = 0;

/** A fresh, increasing Slack ts ("seconds.micros"). */
export function nextTs(): string {
  tsCounter++;
  return `${1_700_000_000 + tsCounter}.${String(tsCounter).padStart(6, "0")}`;
}

export interface EventFields {
  user?: string;
  channel?: string;
  ts?: string;
  thread_ts?: string;
  text?: string;
  [field: string]: unknown;
}

/** An `app_mention` event in a public channel. */
export function mentionEvent(fields: EventFields = {}): Record<string, unknown> {
  const ts = fields.ts ?? nextTs();
  return {
    type: "app_mention",
    user: "U0ANA",
    text: `<@${BOT_USER}> hello`,
    channel: "C0GENERAL",
    team: TEAM,
    event_ts: ts,
    ...fields,
    ts,
  };
}

/** A `message` event (channel by default; pass `channel_type: "im"` for a DM). */
export function messageEvent(fields: EventFields = {}): Record<string, unknown> {
  const ts = fields.ts ?? nextTs();
  return {
    type: "message",
    user: "U0ANA",
    text: "hello",
    channel: "C0GENERAL",
    channel_type: "channel",
    team: TEAM,
    event_ts: ts,
    ...fields,
    ts,
  };
}

// --- issue 13: agent messaging and Enterprise Grid ---

/** An `app_home_opened` event: someone opened the bot's Messages tab (or its Home tab). */
export function appHomeOpenedEvent(fields: EventFields = {}): Record<string, unknown> {
  return {
    type: "app_home_opened",
    user: "U0ANA",
    channel: "D0ANA",
    tab: "messages",
    event_ts: nextTs(),
    ...fields,
  };
}

/** Envelope fields of an org-wide install on Enterprise Grid organisation `enterprise`, in workspace `team`. */
export function orgWideInstall(enterprise: string, team: string): Record<string, unknown> {
  return {
    team_id: team,
    enterprise_id: enterprise,
    is_enterprise_install: true,
    authorizations: [
      {
        enterprise_id: enterprise,
        team_id: null,
        user_id: BOT_USER,
        is_bot: true,
        is_enterprise_install: true,
      },
    ],
  };
}

// --- end issue 13 ---

/** The Events API envelope around an event, as Slack posts it. */
export function envelope(
  event: Record<string, unknown>,
  eventId = `Ev${++eventCounter}`,
): Record<string, unknown> {
  return {
    token: "legacy-verification-token",
    team_id: TEAM,
    api_app_id: "A0APP",
    event,
    type: "event_callback",
    event_id: eventId,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [
      { enterprise_id: null, team_id: TEAM, user_id: BOT_USER, is_bot: true, is_enterprise_install: false },
    ],
    is_ext_shared_channel: false,
  };
}

export interface SignedPostOptions {
  secret: string;
  /** Unix seconds. @default now */
  timestamp?: number;
  /** Overrides the computed signature (forgeries). */
  signature?: string;
  retryNum?: number;
  retryReason?: string;
}

/** POSTs a body the way Slack does: JSON, signed with `v0=HMAC_SHA256(secret, "v0:ts:body")`. */
export async function postSigned(
  url: string,
  body: unknown,
  options: SignedPostOptions,
): Promise<{ status: number; text: string }> {
  const raw = JSON.stringify(body);
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const signature =
    options.signature ??
    `v0=${createHmac("sha256", options.secret).update(`v0:${timestamp}:${raw}`).digest("hex")}`;
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "x-slack-request-timestamp": String(timestamp),
    "x-slack-signature": signature,
  };
  if (options.retryNum !== undefined) {
    headers["x-slack-retry-num"] = String(options.retryNum);
    headers["x-slack-retry-reason"] = options.retryReason ?? "http_timeout";
  }
  const response = await fetch(url, { method: "POST", headers, body: raw });
  return { status: response.status, text: await response.text() };
}
