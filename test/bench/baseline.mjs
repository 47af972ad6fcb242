// The bench's baseline: the least a Bolt app can do to answer a mention from a Twilio assistant.
// app_mention → POST the assistant → say in the thread. No dedupe, no queue, no limits, no logs, so
// the bridge's cost is what it adds on top of Bolt itself. Plain JS on purpose: nothing of the bridge.
import bolt from "@slack/bolt";

const { App, HTTPReceiver, LogLevel } = bolt;
const env = process.env;
const assistantUrl = `${env.TWILIO_ASSISTANTS_URL}/v1/Assistants/${env.TWILIO_ASSISTANT_ID}/Messages`;
const authorization = `Basic ${Buffer.from(`${env.TWILIO_ACCOUNT_SID}:${env.TWILIO_AUTH_TOKEN}`).toString("base64")}`;

const receiver = new HTTPReceiver({
  signingSecret: env.SLACK_SIGNING_SECRET,
  // The bench measures start → /healthz 200 for both apps.
  customRoutes: [
    {
      path: "/healthz",
      method: ["GET"],
      handler: (_req, res) => {
        res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
      },
    },
  ],
});
const app = new App({
  token: env.SLACK_BOT_TOKEN,
  receiver,
  logLevel: LogLevel.ERROR,
  clientOptions: { slackApiUrl: env.SLACK_API_URL },
});

app.event("app_mention", async ({ event, say }) => {
  const response = await fetch(assistantUrl, {
    method: "POST",
    headers: { authorization, "content-type": "application/json" },
    body: JSON.stringify({
      identity: `user_id:slack_${event.team}_${event.user}`,
      body: event.text,
      session_id: `slack__${event.team}/${event.channel}/${event.thread_ts ?? event.ts}`,
    }),
  });
  const answer = await response.json();
  await say({ text: answer.body || "Sorry, no answer.", thread_ts: event.thread_ts ?? event.ts });
});

const server = await app.start(Number(env.PORT ?? 3000));
const { port } = server.address();
process.stdout.write(
  `${JSON.stringify({ msg: "HTTP server listening", url: `http://127.0.0.1:${port}` })}\n`,
);
process.on("SIGTERM", () => process.exit(0));
