import { z } from "zod";
import { PrincipalSchema } from "../../shared/index.js";

/** A principal as configured: its identity and its token (plain, or `sha256:<hex>`). */
export const PrincipalConfigSchema = PrincipalSchema.extend({
  /** The bearer token, or its SHA-256 digest written `sha256:<64 hex digits>`. */
  token: z.string().min(16, "tokens need at least 16 characters").max(512),
}).strict();
/** A configured principal. */
export type PrincipalConfig = z.infer<typeof PrincipalConfigSchema>;
