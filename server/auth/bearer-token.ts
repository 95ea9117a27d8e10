/** Longest `Authorization` header looked at: tokens are at most 512 characters. */
const MAX_HEADER = 600;

/**
 * The token of an `Authorization: Bearer <token>` header (trimmed), or undefined when the header
 * is missing, of another scheme, or too long to hold a token. The one parser of the HTTP API and
 * the Socket.IO handshake.
 */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined || header.length > MAX_HEADER) return undefined;
  const token = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
  return token === "" ? undefined : token;
}
