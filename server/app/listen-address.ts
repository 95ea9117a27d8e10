import { z } from "zod";

const ADDRESS = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/;

const ListenAddressObjectSchema = z.strictObject({ host: z.string().min(1), port: z.number().int().min(0).max(65_535) });
/** A `host:port` to listen on. */
export type ListenAddress = z.output<typeof ListenAddressObjectSchema>;

/**
 * `host:port` (IPv6 hosts in brackets: `[::1]:9464`), or an already parsed `{ host, port }`,
 * as a {@link ListenAddress}; port 0 picks a free one.
 */
export const ListenAddressSchema = z.union([
  ListenAddressObjectSchema,
  z.string().transform((text, ctx): ListenAddress => {
    const match = ADDRESS.exec(text.trim());
    const port = match ? Number(match[3]) : NaN;
    if (!match || port > 65_535) {
      ctx.addIssue({ code: "custom", message: `"${text}" is not host:port (e.g. 127.0.0.1:9464, [::1]:9464)` });
      return z.NEVER;
    }
    return { host: match[1] ?? match[2] ?? "", port };
  }),
]);
