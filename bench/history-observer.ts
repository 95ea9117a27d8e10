/**
 * The observer of `bench:history`, in a process of its own (so that its answers are not decoded on
 * the event loop that times the other client's calls): `tsx bench/history-observer.ts URL` connects
 * as the fixture's observer, prints `ready`, loops `plans:list` (limit 50) as fast as its rate
 * budget allows until a line arrives on stdin, then prints how many calls went through and exits.
 */
import { call, connect } from "./history-client.js";

const url = process.argv[2];
if (!url) throw new Error("usage: history-observer.ts URL");
const socket = await connect(url, "watcher");
let looping = true;
let calls = 0;
process.stdin.once("data", () => (looping = false));
console.log("ready");
while (looping) {
  await call(socket, "plans:list", { limit: 50 });
  calls++;
}
console.log(JSON.stringify({ calls }));
socket.close();
process.exit(0);
