/**
 * A short, safe description of an event for the log line that rejects it: enough to find the
 * event (id, source, bucket, key) without copying an arbitrarily large or hostile payload.
 */
export function summariseEvent(event: unknown): Record<string, unknown> {
  if (typeof event === 'string') return { type: 'string', length: event.length, start: event.slice(0, 120) };
  if (typeof event !== 'object' || event === null) return { type: event === null ? 'null' : typeof event };
  if (Array.isArray(event)) return { type: 'array', length: event.length };
  const record = event as Record<string, unknown>;
  const detail = asRecord(record.detail);
  const object = asRecord(detail.object);
  return {
    type: 'object',
    fields: Object.keys(record).slice(0, 20),
    id: short(record.id),
    source: short(record.source),
    detailType: short(record['detail-type']),
    bucket: short(asRecord(detail.bucket).name),
    key: short(object.key),
  };
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

/** Strings are cut at 200 characters; anything that is not a scalar is named, never copied. */
export function short(value: unknown): unknown {
  if (typeof value === 'string') return value.length > 200 ? `${value.slice(0, 200)}…` : value;
  if (value === undefined || value === null || typeof value === 'number' || typeof value === 'boolean')
    return value;
  return `(${typeof value})`;
}
