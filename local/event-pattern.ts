/**
 * EventBridge event pattern matching, for the patterns this system deploys and the common
 * content filters: exact values, prefix, suffix, anything-but, exists, numeric, nested fields,
 * `$or`, and fields inside arrays of objects.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
 * EventBridge matches with Event Ruler, whose README states the array and `$or` rules followed
 * here: https://github.com/aws/event-ruler#json-array-matching
 */
type Pattern = { [field: string]: Pattern | unknown[] };

/** The words of the content filters: an object using one is a filter, never an `$or` branch. */
const FILTER_KEYWORDS = new Set(['prefix', 'suffix', 'anything-but', 'exists', 'numeric', 'cidr', 'equals-ignore-case', 'wildcard']);

export function matchesPattern(pattern: Pattern, event: unknown): boolean {
  // An array of objects in the event: its structure is crushed out, and the nested pattern
  // matches when one element matches all of it (Event Ruler refuses matches whose fields come
  // from different elements of the same array).
  if (Array.isArray(event) && event.length > 0) return event.some((element) => matchesPattern(pattern, element));
  // Where the event has no object, every field below is absent: only `exists: false` matches.
  const record = (event && typeof event === 'object' && !Array.isArray(event) ? event : {}) as Record<string, unknown>;
  return Object.entries(pattern).every(([field, rule]) => {
    if (field === '$or' && isOrClause(rule)) return rule.some((branch) => matchesPattern(branch, record));
    const value = record[field];
    if (Array.isArray(rule)) return matchesAny(rule, value);
    return matchesPattern(rule, value);
  });
}

/**
 * `"$or": [{...}, {...}]` is an "or" of its branches only when it holds two or more objects,
 * none using a filter keyword; otherwise `$or` is an ordinary field name (Event Ruler's rule).
 */
function isOrClause(rule: unknown): rule is Pattern[] {
  return (
    Array.isArray(rule) &&
    rule.length >= 2 &&
    (rule as unknown[]).every((branch) => branch !== null && typeof branch === 'object' && !Array.isArray(branch) && Object.keys(branch).every((key) => !FILTER_KEYWORDS.has(key)))
  );
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
