// Times for people: the console's twin of the core's one formatter
// (crates/portcullis/src/time.rs): ISO 8601 in UTC plus "in 4m 12s" / "3m ago". Both must say
// the same words for the same instant; tests/e2e/human-times.test.mjs checks this module
// against tests/vectors/human_times.json, which the core's formatter generates.

const MAX_SHOWN = 253402300799; // 9999-12-31T23:59:59Z
const MIN_SHOWN = -62167219200; // 0000-01-01T00:00:00Z

/** `2026-11-22T14:05:00Z`, or null outside years 0000 to 9999. */
export function utc(epoch) {
  if (!Number.isInteger(epoch) || epoch < MIN_SHOWN || epoch > MAX_SHOWN) return null;
  return new Date(epoch * 1000).toISOString().replace(".000Z", "Z");
}

/** A span in the two largest units, a zero second unit dropped: 45s, 4m 12s, 3m, 3h 2m. */
export function span(seconds) {
  const s = Math.round(Math.abs(seconds));
  const [d, h, m, r] = [Math.floor(s / 86400), Math.floor(s / 3600) % 24, Math.floor(s / 60) % 60, s % 60];
  const [big, small] = d ? [[d, "d"], [h, "h"]] : h ? [[h, "h"], [m, "m"]] : m ? [[m, "m"], [r, "s"]] : [[r, "s"], null];
  return small && small[0] ? `${big[0]}${big[1]} ${small[0]}${small[1]}` : `${big[0]}${big[1]}`;
}

/** How far `at` is from `now`: "in 4m 12s", "3m ago", or "now". */
export function relative(at, now) {
  return at > now ? `in ${span(at - now)}` : at < now ? `${span(now - at)} ago` : "now";
}

/** `2026-11-30T14:40:00Z (in 4m 12s)`; an instant out of range as its number. */
export function human(at, now) {
  const date = utc(at);
  return date === null ? `${at} (out of range)` : `${date} (${relative(at, now)})`;
}
