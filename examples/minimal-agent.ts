import { connect, type ToolMap } from "../client/index.js";

const client = connect(process.env.PLANROOM_URL ?? "http://127.0.0.1:8080", { token: process.env.PLANROOM_TOKEN ?? "" });
const steps = [
  { id: "hello", tool: "hello", params: { name: "world" } },
  { id: "shout", tool: "shout", dependsOn: ["hello"] },
];
const tools: ToolMap = {
  hello: (params) => `hello, ${typeof params.name === "string" ? params.name : "nobody"}`,
  shout: (_params, ctx) => (typeof ctx.dependencies.hello === "string" ? ctx.dependencies.hello : "").toUpperCase(),
};
const plan = await client.submit({ description: "Say hello, then shout it", steps }, { tools });
console.log(`review: ${client.url}/#/plans/${plan.planId}`);
const final = await plan.done(); // approved by a reviewer, run, and finished
console.log(final.status, final.steps.at(-1)?.result);
client.close();
