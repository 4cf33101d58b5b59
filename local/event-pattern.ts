/**
 * EventBridge event pattern matching, for the patterns this system deploys and the common
 * content filters: exact values, prefix, suffix, anything-but, exists, numeric, nested fields.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
 */
type Pattern = { [field: string]: Pattern | unknown[] };

export function matchesPattern(pattern: Pattern, event: unknown): boolean {
  if (!event || typeof event !== 'object') return false;
  const record = event as Record<string, unknown>;
  return Object.entries(pattern).every(([field, rule]) => {
    const value = record[field];
    if (Array.isArray(rule)) return matchesAny(rule, value);
    return matchesPattern(rule, value);
  });
}

function matchesAny(rules: unknown[], value: unknown): boolean {
  // A field that is an array in the event matches when any element matches.
  const values = Array.isArray(value) ? value : [value];
  return rules.some((rule) => {
    if (rule !== null && typeof rule === 'object') return matchesFilter(rule as Record<string, unknown>, value, values);
    return values.some((v) => v === rule);
  });
}

function matchesFilter(filter: Record<string, unknown>, value: unknown, values: unknown[]): boolean {
  const [kind, arg] = Object.entries(filter)[0] ?? [];
  switch (kind) {
    case 'exists':
      return (value !== undefined) === arg;
    case 'prefix':
      return values.some((v) => typeof v === 'string' && v.startsWith(String(arg)));
    case 'suffix':
      return values.some((v) => typeof v === 'string' && v.endsWith(String(arg)));
    case 'anything-but': {
      const excluded = Array.isArray(arg) ? arg : [arg];
      return value !== undefined && values.every((v) => !excluded.includes(v));
    }
    case 'numeric': {
      const conditions = arg as (string | number)[];
      return values.some((v) => {
        if (typeof v !== 'number') return false;
        for (let i = 0; i < conditions.length; i += 2) {
          const op = conditions[i];
          const bound = Number(conditions[i + 1]);
          const ok = op === '=' ? v === bound : op === '<' ? v < bound : op === '<=' ? v <= bound : op === '>' ? v > bound : op === '>=' ? v >= bound : false;
          if (!ok) return false;
        }
        return true;
      });
    }
    default:
      return false;
  }
}
