import type { IncomingMessage } from "node:http";

/** The whole request body as UTF-8 text (trusted callers only: it reads without a limit). */
export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Why readBodyLimited gave up. */
export class BodyReadError extends Error {
  override name = "BodyReadError";
  constructor(
    /** `too_large`: past the limit; `timeout`: not complete in time; `aborted`: the client went away. */
    readonly reason: "too_large" | "timeout" | "aborted",
  ) {
    super(`request body not read: ${reason}`);
  }
}

/**
 * The body as bytes, refused as soon as more than `maxBytes` have arrived (a `Content-Length` above it
 * is the caller's to refuse before reading) or when it is not complete within `timeoutMs`, so one
 * request can never hold more than `maxBytes` of memory, or its reader, for long.
 */
export function readBodyLimited(
  request: IncomingMessage,
  maxBytes: number,
  timeoutMs: number,
): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (error: BodyReadError | null) => {
      clearTimeout(timer);
      request.off("data", onData).off("end", onEnd).off("aborted", onAborted).off("error", onAborted);
      request.off("close", onClose);
      if (error) reject(error);
      else resolve(Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        chunks.length = 0;
        request.pause();
        finish(new BodyReadError("too_large"));
      } else chunks.push(chunk);
    };
    const onEnd = () => finish(null);
    const onAborted = () => finish(new BodyReadError("aborted"));
    const onClose = () => {
      if (!request.complete) finish(new BodyReadError("aborted"));
    };
    const timer = setTimeout(() => {
      request.pause();
      finish(new BodyReadError("timeout"));
    }, timeoutMs);
    request.on("data", onData).on("end", onEnd).on("aborted", onAborted).on("error", onAborted);
    request.on("close", onClose);
  });
}
