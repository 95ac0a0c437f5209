// The soak's origin: records each forwarded request, verifies its assertion, and misbehaves
// on demand (down, slow, resetting).
import { createServer } from "node:http";
import { checkAssertion } from "./credentials.mjs";
import { ORIGIN_TIMEOUT_MS, SLOW_BODY_BYTES } from "./traffic.mjs";

export const origin = {
  mode: "ok", // ok | slow | reset | down
  port: 0,
  server: null,
  sockets: new Set(),
  forwarded: 0,
  withoutList: 0, // fail-open forwards decided with no list
  violations: [],
  byId: new Map(), // soak id -> class, for the requests the script sent
};

export function startOriginServer(port = 0) {
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      origin.forwarded++;
      const id = req.headers["x-soak-id"];
      const cls = origin.byId.get(id);
      const path = req.url;
      const body = Buffer.concat(chunks);
      if (path !== "/health") {
        const verdict = checkAssertion(req.headers["x-portcullis-assertion"], req.method, path);
        if (verdict.error) origin.violations.push(`${cls ?? "?"} ${req.method} ${path}: ${verdict.error}`);
        if (!["valid", "slow-body", "fail-open"].includes(cls)) origin.violations.push(`${cls ?? "unknown"} request reached the origin`);
        // Only a fail-open rule may forward without a revocation list (no rev_ver).
        if (verdict.claims && verdict.claims.rev_ver === undefined) {
          if (cls === "fail-open") origin.withoutList++;
          else origin.violations.push(`${cls} forwarded without a revocation list (no rev_ver)`);
        }
      }
      if (req.headers.authorization) origin.violations.push(`${cls}: Authorization forwarded`);
      if (cls === "slow-body" && body.length !== SLOW_BODY_BYTES) {
        origin.violations.push(`slow-body: origin got ${body.length} of ${SLOW_BODY_BYTES} bytes`);
      }
      const answer = () => {
        if (!res.destroyed) {
          res.writeHead(200, { "content-type": "text/plain", "x-origin": "yes" });
          res.end("origin ok");
        }
      };
      if (origin.mode === "reset") return req.socket.destroy();
      if (origin.mode === "slow") return setTimeout(answer, ORIGIN_TIMEOUT_MS * 3);
      answer();
    });
  });
  server.keepAliveTimeout = 1000;
  server.on("connection", (s) => {
    origin.sockets.add(s);
    s.on("close", () => origin.sockets.delete(s));
  });
  return new Promise((resolve) =>
    server.listen(port, "127.0.0.1", () => {
      origin.server = server;
      origin.port = server.address().port;
      resolve();
    }),
  );
}

export async function originDown() {
  await new Promise((resolve) => {
    origin.server.close(() => resolve());
    for (const s of origin.sockets) s.destroy();
  });
}
