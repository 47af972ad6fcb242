import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface DoubleAnswer {
  status: number;
  headers?: Record<string, string>;
  /** A string is sent as is; anything else as JSON. */
  body: unknown;
}

export interface HttpDouble {
  url: string;
  /** Every request, in order. */
  readonly seen: SeenRequest[];
  /** Decides each answer (null: never answer); change it between calls. */
  answer: (request: SeenRequest) => DoubleAnswer | null;
  close(): Promise<void>;
}

/** A loopback HTTP server that records each request and answers what the test says (an OpenAI-compatible or Twilio double). */
export async function startHttpDouble(answer: HttpDouble["answer"]): Promise<HttpDouble> {
  const seen: SeenRequest[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString("utf8");
    });
    req.on("end", () => {
      const request = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body };
      seen.push(request);
      const reply = double.answer(request);
      if (reply === null) return;
      const text = typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
      res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const double: HttpDouble = {
    url: `http://127.0.0.1:${port}`,
    seen,
    answer,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return double;
}
