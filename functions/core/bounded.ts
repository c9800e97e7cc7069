/**
 * Size- and depth-bounded text helpers for log content, which is attacker-controlled: whatever a
 * record holds, what we store or hash is limited in bytes and never recurses without a bound.
 */

/** Appended to a string field that was cut to fit its limit. */
export const CUT_MARKER = '…[cut]';

/** Stands in for a value nested deeper than the serialiser's limit. */
export const DEPTH_MARKER = '[cut: nested too deep]';

/** Deepest nesting serialised; real CloudTrail records nest about a dozen levels. */
export const MAX_JSON_DEPTH = 64;

/**
 * `text` cut to at most `maxBytes` UTF-8 bytes, marker included, never splitting a character;
 * `cut` says whether it was cut. Only the first `maxBytes` characters are ever encoded, so a
 * huge string costs no more than a small one.
 */
export function cutToBytes(text: string, maxBytes: number, marker = CUT_MARKER): { text: string; cut: boolean } {
  // Every character is at least one byte: a string of at most maxBytes / 3 characters fits as is
  // (three bytes per UTF-16 unit at most), and the byte count is needed only above that.
  if (text.length * 3 <= maxBytes || Buffer.byteLength(text) <= maxBytes) return { text, cut: false };
  const room = Math.max(0, maxBytes - Buffer.byteLength(marker));
  // A cut surrogate pair or multi-byte character decodes to U+FFFD at the end: drop it.
  const head = Buffer.from(text.slice(0, room))
    .subarray(0, room)
    .toString('utf8')
    .replace(/\uFFFD+$/, '');
  return { text: head + marker, cut: true };
}

/**
 * JSON text of `value` as `JSON.stringify` writes it, but bounded: values nested deeper than
 * `maxDepth` become {@link DEPTH_MARKER}, and output stops once past `maxBytes` UTF-8 bytes (then
 * cut there, so it may not parse). `truncated` says whether either happened. Recursion is
 * bounded by `maxDepth`, so a record nested 100,000 deep cannot overflow the stack.
 */
export function boundedJson(
  value: unknown,
  maxBytes = Number.POSITIVE_INFINITY,
  maxDepth = MAX_JSON_DEPTH,
): { json: string; truncated: boolean } {
  const parts: string[] = [];
  let length = 0;
  let truncated = false;
  // Characters are a lower bound on bytes: once past maxBytes characters, the output is over.
  const full = () => length > maxBytes;
  const push = (text: string) => {
    parts.push(text);
    length += text.length;
  };
  const emit = (node: unknown, depth: number): void => {
    if (full()) return;
    if (node === null || typeof node === 'boolean') return push(String(node));
    if (typeof node === 'number') return push(Number.isFinite(node) ? String(node) : 'null');
    if (typeof node === 'string') {
      const room = maxBytes - length + 2;
      if (node.length > room) truncated = true;
      return push(JSON.stringify(node.length > room ? node.slice(0, room) : node));
    }
    if (typeof node !== 'object') return push('null');
    if (depth >= maxDepth) {
      truncated = true;
      return push(JSON.stringify(DEPTH_MARKER));
    }
    if (Array.isArray(node)) {
      push('[');
      for (let i = 0; i < node.length && !full(); i++) {
        if (i > 0) push(',');
        const item: unknown = node[i];
        if (item === undefined || typeof item === 'function' || typeof item === 'symbol') push('null');
        else emit(item, depth + 1);
      }
      return push(']');
    }
    push('{');
    let first = true;
    for (const key of Object.keys(node)) {
      if (full()) break;
      const item: unknown = (node as Record<string, unknown>)[key];
      if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
      push(`${first ? '' : ','}${JSON.stringify(key)}:`);
      first = false;
      emit(item, depth + 1);
    }
    push('}');
  };
  emit(value, 0);
  let json = parts.join('');
  if (Number.isFinite(maxBytes) && (full() || Buffer.byteLength(json) > maxBytes)) {
    truncated = true;
    json = cutToBytes(json, maxBytes, '').text;
  }
  return { json, truncated };
}
