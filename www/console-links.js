// The console's link checker: paste a URL, see which rule and format it meets, when it
// expires, and why the gate would refuse it. The gate decides (POST <prefix>/check-url, the
// same code and reason codes as its 403s); this page only shows the answer. The link is sent
// in a POST body, never in a URL, and is not kept.
import { api } from "./console.js";
import { human } from "./time.js";

const $ = (id) => document.getElementById(id);

function line(text, cls) {
  const node = document.createElement(cls === "strong" ? "strong" : "span");
  if (cls && cls !== "strong") node.className = cls;
  node.textContent = text;
  return node;
}

function render(answer) {
  const box = $("link-verdict");
  const rule = answer.rule ? `rule ${answer.rule.index} (${answer.rule.match}), auth ${answer.rule.auth}` : "no rule";
  const lines = [];
  box.dataset.verdict = answer.verdict;
  if (answer.verdict === "accepted") {
    lines.push(line(`Accepted: ${answer.format}`, "strong"));
    lines.push(line(`${rule}; path ${answer.path}`, "detail"));
    lines.push(line(`expires ${human(answer.expires, Math.floor(Date.now() / 1000))}`, "detail"));
    if (answer.kid) lines.push(line(`key ${answer.kid}`, "detail"));
    if (answer.sets_cookie) lines.push(line("sets a signed cookie for its prefix", "detail"));
    box.className = "verdict good";
  } else if (answer.verdict === "refused") {
    lines.push(line(`Refused (${answer.status}): ${answer.code}`, "strong"));
    lines.push(line(answer.detail ?? "", "detail"));
    lines.push(line(answer.path ? `${rule}; path ${answer.path}` : rule, "detail"));
    box.className = "verdict bad";
  } else {
    const what = answer.verdict === "public" ? "a public route: no link needed" : "a bearer-token route: links are not accepted here";
    lines.push(line(`Not a signed-link route: ${what}`, "strong"));
    lines.push(line(`${rule}; path ${answer.path}`, "detail"));
    box.className = "verdict";
  }
  box.replaceChildren(...lines);
  box.hidden = false;
}

async function check(event) {
  event.preventDefault();
  const url = $("link-url").value.trim();
  const msg = $("link-msg");
  msg.hidden = true;
  if (!url) return;
  try {
    render(await api("POST", "/check-url", { url, method: $("link-method").value }));
  } catch (err) {
    msg.textContent = `the gate did not answer: ${err.message}`;
    msg.className = "msg error";
    msg.hidden = false;
  }
}

$("link-form").addEventListener("submit", check);
