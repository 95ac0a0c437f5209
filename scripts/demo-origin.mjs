// A demo origin for `make dev`: answers every request with the request itself as pretty JSON
// (method, url, headers, body), so you can see what the gate forwards: the X-Portcullis-*
// identity headers it adds, and that the Authorization header (the token) never arrives.
//
//   node scripts/demo-origin.mjs [PORT]      # default 8788, on 127.0.0.1 only
import { createServer } from "node:http";

const HOST = "127.0.0.1";
const port = Number(process.argv[2] ?? process.env.ORIGIN_PORT ?? 8788);
// Echo at most this much of a body; a demo does not need more.
const MAX_BODY = 64 * 1024;

const server = createServer((req, res) => {
  const chunks = [];
  let size = 0;
  req.on("data", (chunk) => {
    if (size < MAX_BODY) chunks.push(chunk);
    size += chunk.length;
  });
  req.on("end", () => {
    let body = Buffer.concat(chunks).subarray(0, MAX_BODY).toString("utf8");
    if (size > MAX_BODY) body += `... (${size} bytes in all)`;
    const echo = { method: req.method, url: req.url, headers: req.headers, body };
    res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
    res.end(JSON.stringify(echo, null, 2) + "\n");
  });
});

server.on("error", (err) => {
  const why = err.code === "EADDRINUSE" ? `port ${port} is in use` : err.message;
  console.error(`demo-origin: cannot listen on ${HOST}:${port}: ${why}`);
  process.exit(1);
});

server.listen(port, HOST, () => {
  console.log(`demo-origin: echoing requests at http://${HOST}:${port}`);
});

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => server.close(() => process.exit(0)).closeAllConnections());
}
