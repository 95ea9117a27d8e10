/**
 * What a failed connection attempt means, in a sentence a person can act on. socket.io-client's
 * `connect_error` for a transport failure says only "websocket error"; the underlying error (in
 * Node: `description.error`, with its `code`) says why. Pure.
 */

/** The parts of a `connect_error` this reads. */
interface TransportFailure {
  message?: unknown;
  type?: unknown;
  description?: unknown;
}

function field(value: unknown, key: string): unknown {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

/** The underlying error's code and message, when the failure carries one. */
function cause(error: TransportFailure): { code: string | undefined; message: string } {
  const description = error.description;
  const inner = field(description, "error") ?? description;
  const code = field(inner, "code");
  const message = field(inner, "message") ?? field(description, "message");
  return { code: typeof code === "string" ? code : undefined, message: typeof message === "string" ? message : "" };
}

const CERTIFICATE_CODES = /^(?:DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(?:_LOCALLY)?|CERT_HAS_EXPIRED|CERT_NOT_YET_VALID|ERR_TLS_CERT_ALTNAME_INVALID|CERT_\w+)$/;

/**
 * Why `url` could not be reached, as `cannot reach <url>: <reason>`, when `error` (a
 * `connect_error`) is a network or protocol failure: refused, no such host, unreachable, TLS
 * spoken to a plain HTTP server (or not spoken to a TLS one), an untrusted certificate, or an
 * HTTP answer where a WebSocket handshake was expected. Undefined for anything else (e.g. the
 * server's own refusal of the handshake, which has its own message).
 */
export function describeConnectFailure(url: string, error: TransportFailure): string | undefined {
  if (error.type !== "TransportError") return undefined;
  const { code, message } = cause(error);
  const tls = url.toLowerCase().startsWith("https:");
  const reason = ((): string | undefined => {
    if (code === "ECONNREFUSED") return "connection refused (is the server running, on this host and port?)";
    if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "no such host";
    if (code === "EHOSTUNREACH" || code === "ENETUNREACH") return "the host is unreachable";
    if (code === "ETIMEDOUT") return "the connection timed out";
    if (code === "EPROTO" || /wrong version number|packet length too long|unknown protocol/i.test(message)) {
      return tls ? "the server is not speaking TLS (is it a plain HTTP server? try http://)" : `TLS error: ${message}`;
    }
    if (code !== undefined && CERTIFICATE_CODES.test(code)) return `the server's TLS certificate is not trusted (${message || code})`;
    if (code === "ECONNRESET" || /socket hang up/i.test(message)) {
      return tls ? "the server closed the connection" : "the server closed the connection (if it speaks TLS, use https://)";
    }
    const status = /Unexpected server response: (\d+)/.exec(message)?.[1];
    if (status !== undefined) return `it answered HTTP ${status} instead of a WebSocket handshake (is this a Planroom server, and the URL its root?)`;
    return undefined;
  })();
  return reason === undefined ? undefined : `cannot reach ${url}: ${reason}`;
}
