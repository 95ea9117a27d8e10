import { describe, expect, it } from "vitest";
import { describeConnectFailure } from "../../client/connect-failure.js";

/** A `connect_error` as socket.io-client reports a WebSocket transport failure in Node. */
function transportError(code: string | undefined, message: string): { message: string; type: string; description: unknown } {
  return { message: "websocket error", type: "TransportError", description: { message, error: Object.assign(new Error(message), code === undefined ? {} : { code }) } };
}

describe("describeConnectFailure", () => {
  it("names the network reason in a sentence", () => {
    expect(describeConnectFailure("http://h:1", transportError("ENOTFOUND", "getaddrinfo ENOTFOUND h"))).toBe("cannot reach http://h:1: no such host");
    expect(describeConnectFailure("http://h:1", transportError("EHOSTUNREACH", "connect EHOSTUNREACH"))).toBe("cannot reach http://h:1: the host is unreachable");
    expect(describeConnectFailure("https://h:1", transportError("DEPTH_ZERO_SELF_SIGNED_CERT", "self-signed certificate"))).toBe("cannot reach https://h:1: the server's TLS certificate is not trusted (self-signed certificate)");
  });
  it("hints at https:// when a plain connection is hung up on, as a TLS server does", () => {
    expect(describeConnectFailure("http://h:1", transportError("ECONNRESET", "socket hang up"))).toBe("cannot reach http://h:1: the server closed the connection (if it speaks TLS, use https://)");
  });
  it("leaves the server's own refusals and unknown failures alone", () => {
    expect(describeConnectFailure("http://h:1", { message: "unknown token" })).toBeUndefined();
    expect(describeConnectFailure("http://h:1", { message: "websocket error", type: "TransportError", description: {} })).toBeUndefined();
  });
});
