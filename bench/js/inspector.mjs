// A minimal client of workerd's V8 inspector (Chrome DevTools Protocol over a WebSocket),
// shared by the profiles and the soak's heap samples.
import WebSocket from "ws";

/**
 * Attaches to a worker's inspector target on `port`: the target `core:user:<worker>` when
 * there is one, else one whose title or URL names the worker, else the first attachable one.
 * Answers `{ send(method, params) -> Promise<message>, close() }`.
 */
export async function attach(port, worker = "portcullis") {
  const targets = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
  // By id first: "portcullis" is also a prefix of the objects script's name.
  const target = targets.find((t) => t.id === `core:user:${worker}`)
    ?? targets.find((t) => t.webSocketDebuggerUrl && `${t.title} ${t.url}`.includes(worker))
    ?? targets.find((t) => t.webSocketDebuggerUrl);
  if (!target) throw new Error(`no inspector target on port ${port}`);
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => { ws.once("open", resolve); ws.once("error", reject); });
  let id = 0;
  const pending = new Map();
  ws.on("message", (data) => {
    const m = JSON.parse(data);
    if (m.id && pending.has(m.id)) {
      pending.get(m.id)(m);
      pending.delete(m.id);
    }
  });
  const send = (method, params = {}) => new Promise((resolve) => {
    const i = ++id;
    pending.set(i, resolve);
    ws.send(JSON.stringify({ id: i, method, params }));
  });
  return { send, close: () => ws.close() };
}
