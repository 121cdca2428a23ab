/**
 * Helm's values merge: objects merge key by key, anything else (arrays included) is replaced.
 * With `byName`, arrays of objects that all have a `name` merge item by item, as a Kubernetes
 * strategic-merge patch does for containers and volumes.
 */
export function deepMerge<T extends Record<string, unknown>>(base: T, over: Record<string, unknown>, byName = false): T {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    if (isObject(current) && isObject(value)) out[key] = deepMerge(current, value, byName);
    else if (byName && Array.isArray(current) && Array.isArray(value) && [...current, ...value].every((v) => isObject(v) && typeof v['name'] === 'string')) {
      const merged = (current as Array<Record<string, unknown>>).map((c) => {
        const patch = (value as Array<Record<string, unknown>>).find((v) => v['name'] === c['name']);
        return patch ? deepMerge(c, patch, byName) : c;
      });
      for (const v of value as Array<Record<string, unknown>>) if (!merged.some((m) => m['name'] === v['name'])) merged.push(v);
      out[key] = merged;
    } else out[key] = value;
  }
  return out as T;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
