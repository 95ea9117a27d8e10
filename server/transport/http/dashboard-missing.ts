import type { Request, Response } from "express";

/** The line start-up logs when the dashboard's files are missing. */
export function dashboardMissingWarning(webDir: string | undefined): string {
  return `dashboard not built: no ${webDir ?? "web folder"}/index.html, so GET / answers a page saying so (run \`npm run build\`)`;
}

/**
 * `GET /` when the dashboard is not built (a fresh clone before `npm run build` or `npm start`): a
 * 404 page that says so and how to build it, instead of the API's JSON 404.
 */
export function dashboardMissingPage(webDir: string | undefined): (req: Request, res: Response) => void {
  const where = webDir === undefined ? "" : ` (expected in <code>${escapeHtml(webDir)}</code>)`;
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Planroom: dashboard not built</title></head>
<body><h1>The Planroom dashboard is not built</h1>
<p>This server runs, but its dashboard files are missing${where}.</p>
<p>Run <code>npm run build</code> in the Planroom checkout (or start it with <code>npm start</code>, which builds first) and reload.</p>
<p>The API answers as usual: <a href="/healthz">/healthz</a>, <code>/api/plans</code>, Socket.IO.</p>
</body></html>
`;
  return (_req: Request, res: Response): void => {
    res.status(404).type("html").send(html);
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c] ?? c);
}
