import { createServer } from "node:net";

/**
 * A loopback port nothing listens on (bind one, note it, close it): connections to it are refused,
 * and a server of the test's own may take it.
 */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}
