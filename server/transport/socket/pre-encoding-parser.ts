/**
 * Sending one large value to many sockets without encoding it for each: a value wrapped in
 * {@link PreEncodedJson} carries its JSON text, made once (e.g. a plan's snapshot, shared by every
 * join at the same seq), and {@link preEncodingParser}, the server's Socket.IO parser, writes that
 * text where the value stands instead of stringifying (and walking for binary) the value again. The
 * bytes on the wire are exactly those of the default parser, so clients use the default one.
 *
 * @example
 * ```ts
 * const io = new Server(http, { parser: preEncodingParser });
 * ack({ ok: true, snapshot: { plan: new PreEncodedJson(JSON.stringify(plan)) } });
 * ```
 */
import { randomBytes } from "node:crypto";
import { Decoder, Encoder, type Packet } from "socket.io-parser";
import { PreEncodedJson } from "../../rooms/pre-encoded-json.js";

/** Marks where a pre-encoded value stands; the nonce keeps plan data from ever matching it. */
const NONCE = randomBytes(12).toString("hex");
const MARK = new RegExp(`"\\\\u0000${NONCE}:(\\d+)\\\\u0000"`, "g");

/** The default encoder, with pre-encoded values spliced in after `JSON.stringify`. */
class PreEncodingEncoder extends Encoder {
  private readonly found: { texts: string[] | undefined };

  constructor() {
    const found: { texts: string[] | undefined } = { texts: undefined };
    super((_key: string, value: unknown) => {
      if (!(value instanceof PreEncodedJson)) return value;
      const texts = (found.texts ??= []);
      texts.push(value.json);
      return `\u0000${NONCE}:${texts.length - 1}\u0000`;
    });
    this.found = found;
  }

  override encode(packet: Packet): ReturnType<Encoder["encode"]> {
    this.found.texts = undefined;
    const parts = super.encode(packet);
    const texts = this.found.texts;
    this.found.texts = undefined;
    if (!texts) return parts;
    return parts.map((part: unknown) => (typeof part === "string" ? part.replace(MARK, (_mark, i: string) => texts[Number(i)]) : part)) as ReturnType<Encoder["encode"]>;
  }
}

/** Socket.IO's default parser, but writing {@link PreEncodedJson} values as their text. */
export const preEncodingParser = { Encoder: PreEncodingEncoder, Decoder };
