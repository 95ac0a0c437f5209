// A small JSON Schema (2020-12) checker for docs/audit.schema.json: the keywords that file
// uses (oneOf, type, const, enum, required, properties, additionalProperties: false, pattern,
// minimum, maximum). An unknown keyword throws, so the schema cannot quietly outgrow it.
const KNOWN = new Set([
  "$schema", "$id", "title", "description", "oneOf", "type", "const", "enum", "required",
  "properties", "additionalProperties", "pattern", "minimum", "maximum",
]);

const typeOf = (v) =>
  v === null ? "null" : Array.isArray(v) ? "array" : Number.isInteger(v) ? "integer" : typeof v;

/** The errors of `value` against `schema` (empty when it conforms), each naming its path. */
export function validate(schema, value, path = "$") {
  for (const k of Object.keys(schema)) if (!KNOWN.has(k)) throw new Error(`schema keyword ${k} at ${path} is not supported`);
  const errors = [];
  if (schema.oneOf) {
    const fits = schema.oneOf.filter((s) => validate(s, value, path).length === 0);
    if (fits.length !== 1) {
      // Name the branch the value claims to be (its `event`), for a readable error.
      const claimed = schema.oneOf.find((s) => s.properties?.event?.const === value?.event);
      const why = claimed ? validate(claimed, value, path).join("; ") : `no kind has event ${JSON.stringify(value?.event)}`;
      errors.push(`${path}: matches ${fits.length} kinds, not 1 (${why})`);
    }
  }
  if (schema.type) {
    const types = [].concat(schema.type);
    const t = typeOf(value);
    if (!types.includes(t) && !(t === "integer" && types.includes("number"))) errors.push(`${path}: ${t}, not ${types.join("|")}`);
  }
  if ("const" in schema && value !== schema.const) errors.push(`${path}: not ${JSON.stringify(schema.const)}`);
  if (schema.enum && !schema.enum.includes(value)) errors.push(`${path}: not one of ${schema.enum.join(", ")}`);
  if (typeof value === "string" && schema.pattern && !new RegExp(schema.pattern, "u").test(value)) errors.push(`${path}: does not match ${schema.pattern}`);
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum) errors.push(`${path}: below ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) errors.push(`${path}: above ${schema.maximum}`);
  }
  if (typeOf(value) === "object") {
    for (const r of schema.required ?? []) if (!(r in value)) errors.push(`${path}: missing ${r}`);
    for (const [k, v] of Object.entries(value)) {
      const sub = schema.properties?.[k];
      if (sub) errors.push(...validate(sub, v, `${path}.${k}`));
      else if (schema.additionalProperties === false) errors.push(`${path}: unexpected field ${k}`);
    }
  }
  return errors;
}
