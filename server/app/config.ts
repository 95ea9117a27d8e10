import { readFile } from "node:fs/promises";
import { isIP } from "node:net";
import { dirname, resolve } from "node:path";
import { z } from "zod";
import { DEFAULT_VOTER_ROLES, issueLine, parseInput, PlanroomError, PrincipalSchema } from "../../shared/index.js";
import { PrincipalConfigSchema } from "../auth/principal-config.js";
import { LOG_FORMATS, LOG_LEVELS } from "../runtime/structured-logger.js";
import { LeaseConfigSchema } from "./lease-config.js";
import { ListenAddressSchema } from "./listen-address.js";
import { planMessageBytes } from "./message-size-limit.js";
import { isStoreUrl, maskStoreUrl, STORE_URL_EXPECTED } from "./store-url.js";

export { PrincipalConfigSchema, type PrincipalConfig } from "../auth/principal-config.js";

/** Everything a Planroom server can be configured with (flags, environment, or a JSON file). */
export const ServerConfigSchema = z
  .object({
    /** Interface to listen on. */
    host: z.string().min(1).default("127.0.0.1"),
    /** TCP port; 0 picks a free one. */
    port: z.coerce.number({ error: "port must be a whole number from 0 to 65535" }).int().min(0).max(65_535).default(8080),
    /**
     * The URL people open the server at (e.g. `https://planroom.example.com` behind a proxy): the
     * base of the links printed at start. Default: the listen address (a wildcard one, `0.0.0.0`,
     * becomes this machine's network address).
     */
    publicUrl: z.url({ protocol: /^https?$/, error: "publicUrl must be an http:// or https:// URL, e.g. https://planroom.example.com" }).optional(),
    /** Data directory of the embedded store. */
    dataDir: z.string().min(1).default("./data"),
    /**
     * Run on PostgreSQL instead of the embedded store: `postgres://user:password@host:5432/database`
     * (or `postgresql://`). Without it the node keeps its plans in `dataDir`.
     */
    store: z
      .string({ error: `store must be ${STORE_URL_EXPECTED}` })
      .trim()
      .refine(isStoreUrl, { error: (issue) => `${JSON.stringify(maskStoreUrl(String(issue.input)))} is not ${STORE_URL_EXPECTED}` })
      .optional(),
    /** Principals and their tokens. Empty: a development set is generated and stored. */
    principals: z.array(PrincipalConfigSchema).max(10_000).default([]),
    /** Origins allowed by CORS (HTTP and Socket.IO). Empty: same origin only. */
    corsOrigins: z.array(z.string().min(1)).default([]),
    /**
     * Largest Socket.IO message in bytes. Default: what a plan at `limits.maxSteps` and
     * `limits.maxParamsBytes` needs (see `planMessageBytes`).
     */
    maxHttpBufferSize: z.number().int().min(1_024).max(256 * 1024 * 1024).optional(),
    /**
     * Requests per principal: the commands of all its sockets, its Socket.IO handshakes that carry
     * its bearer token, and its HTTP API requests, together. `burst` at once, `perSecond` on
     * average (fixed windows of `burst / perSecond` s). Past it: `RATE_LIMITED` (HTTP 429).
     */
    rateLimit: z.object({ burst: z.number().int().min(1).default(200), perSecond: z.number().min(0.1).default(100) }).strict().prefault({}),
    /**
     * Requests per client address (IPv6: per /64) before authentication: Socket.IO handshakes
     * without a valid `Authorization: Bearer` header, and HTTP API requests without a valid token,
     * together. `burst` at once, `perSecond` on average (fixed windows of `burst / perSecond` s).
     * Past it: `RATE_LIMITED` (the handshake is refused; HTTP 429).
     */
    handshakeLimit: z.object({ burst: z.number().int().min(1).default(300), perSecond: z.number().min(0.1).default(50) }).strict().prefault({}),
    /**
     * Where the two budgets above are counted: absent, in this process's memory; a PostgreSQL
     * database (`postgres://…`) shared by several servers gives a client one budget across them all.
     */
    rateLimitStore: z.object({ connectionString: z.string().regex(/^postgres(ql)?:\/\//, { error: "rateLimitStore.connectionString must be a postgres:// or postgresql:// URL" }) }).strict().optional(),
    /** Plan size caps. */
    limits: z
      .object({
        maxSteps: z.number().int().min(1).max(100_000).default(10_000),
        /** Bytes of all step params of a plan, as JSON (UTF-8); also the cap on one step's params once its `$ref`s are resolved. */
        maxParamsBytes: z.number().int().min(1_024).default(1_000_000),
        /** Bytes of one step's result, as JSON (UTF-8); a larger result fails the step (`RESULT_TOO_LARGE`). */
        maxResultBytes: z.number().int().min(1_024).default(1_048_576),
        /**
         * The most copies of earlier results one step's params may take in through `$ref`s, counted
         * through chains of references (a step with 10 references to steps that each hold 10 counts
         * 1 + 10 × 11 = 111). A plan above it is refused at submit.
         */
        maxRefExpansion: z.number().int().min(1).default(10_000),
        /**
         * The most open plans (not finished: pending approval, approved or executing) one agent may
         * have; a submission past it is refused (`QUOTA_EXCEEDED`).
         */
        maxOpenPlansPerAgent: z.number().int().min(1).default(100),
        /**
         * Bytes (UTF-8 JSON) of step params the open plans of one agent may hold together: by default
         * 20 plans at the `maxParamsBytes` cap fit. Past it a submission or a growing revision is
         * refused (`QUOTA_EXCEEDED`).
         */
        maxOpenPlanBytesPerAgent: z.number().int().min(1_024).default(20 * 1024 * 1024),
        /** The most sockets one principal may have connected; the next handshake is refused (`QUOTA_EXCEEDED`). */
        maxSocketsPerPrincipal: z.number().int().min(1).default(50),
        /**
         * The most finished plans (rejected, expired, completed, failed, cancelled) whose rooms stay in
         * memory while nobody uses them, the least recently used leaving first; a plan not in memory
         * is loaded from the store when asked for. Live plans are always in memory.
         */
        finishedRoomsCached: z.number().int().min(0).default(1_000),
        /**
         * The most bytes (estimated: each room's recent events plus its plan) those finished rooms may
         * hold together, the least recently used leaving first.
         */
        finishedRoomsBytes: z.number().int().min(0).default(64 * 1024 * 1024),
      })
      .prefault({}),
    /**
     * Failed authentications per remote address (IPv6: per /64), a token bucket: `burst` at once,
     * then `perMinute`. An address past it is refused (`RATE_LIMITED`) at the start of each new
     * Socket.IO connection, before any token is looked at, unless that request carries a valid
     * `Authorization: Bearer` token. At most `maxAddresses` addresses are remembered.
     */
    authFailureLimit: z
      .object({
        burst: z.number().int().min(1).default(20),
        perMinute: z.number().positive().default(60),
        maxAddresses: z.number().int().min(1).max(10_000_000).default(10_000),
      })
      .strict()
      .prefault({}),
    /**
     * What a submitted approval policy may ask for. The submitter writes the policy, so the server
     * sets its floor: by default no plan may approve itself, and at least one approval is needed.
     */
    approvalRules: z
      .object({
        /** Whether a policy may set `allowSelfApproval`. */
        allowSelfApproval: z.boolean().default(false),
        /** The smallest `quorum` a policy may set. */
        minQuorum: z.number().int().min(1).max(1_000).default(1),
        /**
         * The roles whose principals may vote at all (default `DEFAULT_VOTER_ROLES` of `shared/`):
         * a policy naming anyone else is refused at submit, and such a principal's vote always is.
         */
        voterRoles: z
          .array(
            z.enum(PrincipalSchema.shape.roles.element.options, {
              error: (issue) => `unknown role ${JSON.stringify(issue.input)}: a voter role is one of ${PrincipalSchema.shape.roles.element.options.join(", ")}`,
            }),
            { error: "voterRoles must be a list of roles" },
          )
          .min(1, "voterRoles must name at least one role (else nobody could ever approve a plan)")
          .default([...DEFAULT_VOTER_ROLES]),
      })
      .strict()
      .prefault({}),
    /** How long a remote tool call waits for its agent to reconnect. */
    agentGraceMs: z.number().int().min(0).max(3_600_000).default(30_000),
    /** Executor lease timings: `ttlMs` (default 15 s), `renewMs` (5 s), `sweepMs` (1 s); `renewMs` < `ttlMs` / 2. */
    lease: LeaseConfigSchema,
    /** How long shutdown waits for running steps. */
    shutdownGraceMs: z.number().int().min(0).max(3_600_000).default(10_000),
    /**
     * Server-side tool modules (see `server/tool-modules.ts`): ES modules whose default export (or
     * export `tools`) maps tool names to handlers. {@link loadConfig} resolves paths from the file
     * against the file's folder, others against the working directory.
     */
    toolModules: z.array(z.string().trim().min(1, "a tool module path is empty")).max(1_000).default([]),
    /**
     * Serve HTTPS and WSS on the port, with this PEM certificate (chain) and private key. {@link loadConfig}
     * resolves paths from the file against the file's folder, others against the working directory.
     */
    tls: z
      .object({
        certFile: z.string({ error: "tls needs certFile, the PEM certificate (--tls-cert, PLANROOM_TLS_CERT)" }).trim().min(1, "tls.certFile is empty"),
        keyFile: z.string({ error: "tls needs keyFile, the PEM private key (--tls-key, PLANROOM_TLS_KEY)" }).trim().min(1, "tls.keyFile is empty"),
      })
      .strict()
      .optional(),
    /**
     * Reverse proxies (addresses, CIDRs, or `loopback`, `linklocal`, `uniquelocal`) whose
     * `X-Forwarded-Proto` and `X-Forwarded-For` are believed, Express's `trust proxy`. Empty: none.
     */
    trustProxy: z.array(z.string().trim().refine(isProxyAddress, { error: (issue) => `${JSON.stringify(issue.input)} is not an IP address, a CIDR, or loopback, linklocal, uniquelocal` })).max(1_000).default([]),
    /** `host:port` of a second listener serving only `GET /metrics`, without authentication. */
    metricsListen: ListenAddressSchema.optional(),
    /** `json` lines or `pretty` ones; default: pretty when stdout is a terminal, else JSON. */
    logFormat: z.enum(LOG_FORMATS).optional(),
    /** The least severe level logged (`info` logs the audit lines, `warn` drops them). */
    logLevel: z.enum(LOG_LEVELS).default("info"),
  })
  .strict()
  .transform((config) => ({ ...config, maxHttpBufferSize: config.maxHttpBufferSize ?? planMessageBytes(config.limits) }));

/** Whether `value` is what Express's `trust proxy` accepts in a list: an address, a CIDR (prefix or netmask), or a named range. */
function isProxyAddress(value: string): boolean {
  if (value === "loopback" || value === "linklocal" || value === "uniquelocal") return true;
  const [address = "", range, extra] = value.split("/");
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (range === undefined) return true;
  if (/^\d{1,3}$/.test(range)) return Number(range) <= (family === 4 ? 32 : 128);
  return family === 4 && isIP(range) === 4;
}
/** A validated server configuration. */
export type ServerConfig = z.output<typeof ServerConfigSchema>;
/** A server configuration as written. */
export type ServerConfigInput = z.input<typeof ServerConfigSchema>;

/** Where configuration comes from; later sources win: file, then environment, then flags. */
export interface ConfigSources {
  /** Parsed command-line flags; `tools` is one or more comma-separated lists of tool module paths. */
  flags?: { host?: string | undefined; port?: string | number | undefined; data?: string | undefined; config?: string | undefined; tools?: string | readonly string[] | undefined; tlsCert?: string | undefined; tlsKey?: string | undefined; publicUrl?: string | undefined; store?: string | undefined; logFormat?: string | undefined; logLevel?: string | undefined };
  /** The environment (`PLANROOM_HOST`, `PLANROOM_PORT`, `PLANROOM_DATA`, `PLANROOM_CONFIG`, `PLANROOM_TOOLS`, `PLANROOM_TLS_CERT`, `PLANROOM_TLS_KEY`, `PLANROOM_PUBLIC_URL`, `PLANROOM_DATABASE_URL`). */
  env?: NodeJS.ProcessEnv;
  /** Folder that relative paths of the environment and flags are resolved against (default: the working directory). */
  cwd?: string;
}

/** Splits comma-separated lists (`a.ts,b.ts`) into their non-empty, trimmed items. */
export function splitList(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  return (typeof value === "string" ? [value] : value).flatMap((v) => v.split(",")).map((v) => v.trim()).filter((v) => v !== "");
}

/** Validates a configuration object; a bad one is a `VALIDATION` error naming every problem. */
export function parseConfig(input: unknown, origin = "configuration"): ServerConfig {
  const parsed = parseInput(ServerConfigSchema, input);
  if (parsed.success) return parsed.data;
  const lines = parsed.issues.map((i) => `  - ${issueLine(i)}`);
  throw new PlanroomError("VALIDATION", `invalid ${origin}:\n${lines.join("\n")}`, parsed.issues);
}

/**
 * Reads the configuration: the JSON file named by `--config` or `PLANROOM_CONFIG`, overridden by
 * `PLANROOM_*` variables, overridden by flags; then validates it. `toolModules` come out as
 * absolute paths, and so do `tls`'s files: the file's relative to the file's folder, `PLANROOM_TOOLS` and `--tools` relative
 * to `cwd`; like every key, a later source replaces (does not extend) an earlier one.
 */
export async function loadConfig(sources: ConfigSources = {}): Promise<ServerConfig> {
  const env = sources.env ?? {};
  const flags = sources.flags ?? {};
  const cwd = sources.cwd ?? process.cwd();
  const file = flags.config ?? env.PLANROOM_CONFIG;
  let base: Record<string, unknown> = {};
  if (file) {
    let text: string;
    try {
      text = await readFile(resolve(cwd, file), "utf8");
    } catch (e) {
      throw new PlanroomError("VALIDATION", `cannot read config file ${file}: ${(e as Error).message}`);
    }
    try {
      const json: unknown = JSON.parse(text);
      if (typeof json !== "object" || json === null || Array.isArray(json)) throw new Error("expected a JSON object");
      base = json as Record<string, unknown>;
    } catch (e) {
      throw new PlanroomError("VALIDATION", `config file ${file} is not valid JSON: ${(e as Error).message}`);
    }
    if (Array.isArray(base.toolModules)) {
      const folder = dirname(resolve(cwd, file));
      // Anything but a non-empty string is left as it is, for the schema to report.
      base.toolModules = base.toolModules.map((p: unknown) => (typeof p === "string" && p.trim() !== "" ? resolve(folder, p.trim()) : p));
    }
    if (typeof base.tls === "object" && base.tls !== null && !Array.isArray(base.tls)) {
      const folder = dirname(resolve(cwd, file));
      const tls = { ...(base.tls as Record<string, unknown>) };
      for (const key of ["certFile", "keyFile"]) {
        const p = tls[key];
        if (typeof p === "string" && p.trim() !== "") tls[key] = resolve(folder, p.trim());
      }
      base.tls = tls;
    }
  }
  const merged: Record<string, unknown> = { ...base };
  const set = (key: string, value: unknown): void => {
    if (value !== undefined && value !== "") merged[key] = value;
  };
  set("host", env.PLANROOM_HOST);
  set("port", env.PLANROOM_PORT);
  set("dataDir", env.PLANROOM_DATA);
  set("publicUrl", env.PLANROOM_PUBLIC_URL);
  set("store", env.PLANROOM_DATABASE_URL);
  set("host", flags.host);
  set("port", flags.port);
  set("dataDir", flags.data);
  set("publicUrl", flags.publicUrl);
  set("store", flags.store);
  set("logFormat", flags.logFormat);
  set("logLevel", flags.logLevel);
  for (const list of [splitList(env.PLANROOM_TOOLS), splitList(flags.tools)]) {
    if (list.length > 0) merged.toolModules = list.map((p) => resolve(cwd, p));
  }
  // A source naming either TLS file replaces `tls` as a whole; one without the other is reported by the schema.
  for (const [cert, key] of [[env.PLANROOM_TLS_CERT, env.PLANROOM_TLS_KEY], [flags.tlsCert, flags.tlsKey]]) {
    if (cert || key) merged.tls = { certFile: cert ? resolve(cwd, cert) : undefined, keyFile: key ? resolve(cwd, key) : undefined };
  }
  return parseConfig(merged, file ? `configuration (${file})` : "configuration");
}
