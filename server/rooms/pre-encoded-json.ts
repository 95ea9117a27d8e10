/**
 * A large value encoded once for many sockets (e.g. a plan's snapshot, shared by every join at the
 * same seq): the server's Socket.IO parser (`transport/socket/pre-encoding-parser.ts`) writes its
 * text where the value stands instead of stringifying the value again.
 */
export class PreEncodedJson {
  /** `json` must be the output of `JSON.stringify` (valid JSON text). */
  constructor(readonly json: string) {}
}
