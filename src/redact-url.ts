/**
 * A URL as it may be shown in an error or a log line: user and password become `***`, and so do the
 * values of query parameters (`?token=…`). Works on text that does not parse as a URL too, since the
 * bad ones are exactly those echoed in configuration errors.
 */
export function redactUrl(raw: string): string {
  return raw.replace(/^([a-z][a-z0-9+.-]*:\/*)?[^@]*@/i, "$1***@").replace(/([?&][^=&#]*=)[^&#]*/g, "$1***");
}

/** The host of a configured URL, for an error that must say where a call went (never the whole URL). */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "an invalid URL";
  }
}
