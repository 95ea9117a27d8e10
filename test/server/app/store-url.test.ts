import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../server/app/config.js";
import { checkStoreUrl, isStoreUrl, maskStoreUrl, storeHost } from "../../../server/app/store-url.js";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

describe("store URLs", () => {
  it("accepts postgres:// and postgresql:// URLs with a host, and nothing else", () => {
    for (const good of ["postgres://user@db.internal/planroom", "postgresql://user:pw@127.0.0.1:6543/planroom", "postgres:///planroom?host=/var/run/postgresql"]) expect(isStoreUrl(good), good).toBe(true);
    for (const bad of ["mysql://user@db/planroom", "postgres:/x", "postgres:x", "planroom", "", "http://db/planroom", "postgres:///planroom"]) expect(isStoreUrl(bad), bad).toBe(false);
  });

  it("masks the password and writes the port out, never printing the password", () => {
    expect(maskStoreUrl("postgres://planroom:s3cret@db.internal/planroom")).toBe("postgres://planroom:***@db.internal:5432/planroom");
    expect(maskStoreUrl("postgresql://planroom@db.internal:6543/planroom")).toBe("postgresql://planroom@db.internal:6543/planroom");
    expect(maskStoreUrl("mysql://root:s3cret@db/x")).not.toContain("s3cret");
    expect(maskStoreUrl("user:s3cret@db")).not.toContain("s3cret");
    expect(storeHost("postgres://u@db.internal/planroom")).toBe("db.internal:5432");
  });

  it("refuses a URL that is not PostgreSQL's with what was expected, without its password", () => {
    expect(() => checkStoreUrl("mysql://root:s3cret@db/x")).toThrow(/^store "mysql:\/\/root:\*\*\*@db\/x" is not a PostgreSQL URL, postgres:\/\/user@host:5432\/database/);
    expect(checkStoreUrl("postgres://u@h/d")).toBe("postgres://u@h/d");
  });

  it("takes the store from the flag, else PLANROOM_DATABASE_URL, else the config file; none: the embedded store", async () => {
    const dir = await mkdtemp(join(tmpdir(), "planroom-store-url-"));
    try {
      const file = join(dir, "config.json");
      await writeFile(file, JSON.stringify({ store: "postgres://file@h/d" }));
      const env = { PLANROOM_DATABASE_URL: "postgresql://env@h/d" };
      expect((await loadConfig({ flags: { config: file, store: "postgres://flag@h/d" }, env })).store).toBe("postgres://flag@h/d");
      expect((await loadConfig({ flags: { config: file }, env })).store).toBe("postgresql://env@h/d");
      expect((await loadConfig({ flags: { config: file } })).store).toBe("postgres://file@h/d");
      expect((await loadConfig({})).store).toBeUndefined();
      await writeFile(file, JSON.stringify({ store: "mysql://root:s3cret@db/x" }));
      const refused = loadConfig({ flags: { config: file } });
      await expect(refused).rejects.toThrow(/store: "mysql:\/\/root:\*\*\*@db\/x" is not a PostgreSQL URL/);
      await expect(refused).rejects.not.toThrow(/s3cret/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
