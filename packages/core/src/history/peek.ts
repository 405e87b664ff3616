/**
 * What the history walk needs of a page before the page is parsed: how many transactions it holds, and
 * the last one's id and time. A forward walker's next request needs only those, so it can go out while
 * the page is parsed and checked, instead of after (ADR 0012).
 */
export interface PagePeek {
  /** Transactions in the page. */
  count: number;
  /** The last one's `id` and `created` in ms; undefined for an empty page. */
  last: { id: string; ms: number } | undefined;
}

const HEAD = '{"transactions":[';
const TAIL = "]}";
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/**
 * Reads a page's structure without parsing it: `text` must be exactly `{"transactions":[…]}` as Monzo
 * writes it (compact, that one key), each element an object; the strings are skipped whole, so what they
 * hold (quotes, braces, escapes) never counts. The last element alone is then parsed, so its id and time
 * are what `JSON.parse` of the whole page gives. Undefined for anything else — the page is then read the
 * ordinary way, after it is parsed. Whenever `JSON.parse(text)` succeeds, a peek agrees with it; a text
 * that is not JSON may still be peeked, and fails when it is parsed (the walk fails with it).
 *
 * @example const peek = peekTransactions(text); if (peek?.count === 100) send({ since: peek.last!.id });
 */
export function peekTransactions(text: string): PagePeek | undefined {
  if (!text.startsWith(HEAD)) return undefined;
  const end = text.length - TAIL.length;
  if (end < HEAD.length || !text.endsWith(TAIL)) return undefined;
  let i = HEAD.length;
  if (i === end) return { count: 0, last: undefined };
  let depth = 0;
  let count = 0;
  let start = -1;
  let lastStart = -1;
  let lastEnd = -1;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      // A string ends at the first quote not escaped by an odd run of backslashes.
      let q = i;
      for (;;) {
        q = text.indexOf('"', q + 1);
        if (q < 0 || q >= end) return undefined;
        let b = q - 1;
        while (text.charCodeAt(b) === BACKSLASH) b--;
        if ((q - 1 - b) % 2 === 0) break;
      }
      if (depth === 0) return undefined; // an element that is a string
      i = q + 1;
      continue;
    }
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (depth === 0) {
        if (c !== OPEN_OBJECT) return undefined;
        start = i;
      }
      depth++;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      if (depth === 0) return undefined;
      depth--;
      if (depth === 0) {
        count++;
        lastStart = start;
        lastEnd = i + 1;
        // Between elements: exactly one comma, or the end of the array.
        if (lastEnd < end) {
          if (text.charCodeAt(lastEnd) !== 0x2c || lastEnd + 1 >= end) return undefined;
          i = lastEnd + 1;
          continue;
        }
      }
    } else if (depth === 0) {
      return undefined; // a number, a literal or whitespace between elements: not as Monzo writes it
    }
    i++;
  }
  if (depth !== 0 || count === 0) return undefined;
  let last: unknown;
  try {
    last = JSON.parse(text.slice(lastStart, lastEnd));
  } catch {
    return undefined;
  }
  const { id, created } = last as { id?: unknown; created?: unknown };
  if (typeof id !== "string" || typeof created !== "string") return undefined;
  const ms = Date.parse(created);
  if (Number.isNaN(ms)) return undefined;
  return { count, last: { id, ms } };
}

type Later = (callback: () => void) => void;
const scope = globalThis as { setImmediate?: Later; MessageChannel?: typeof MessageChannel };

/**
 * Resolves once the runtime has done its pending I/O: a request just handed to `fetch` is written to its
 * socket only when the caller returns to the event loop, not while it goes on parsing. `setImmediate`
 * where there is one (Node, Bun), a message to itself elsewhere (browsers, Deno, Workers), a timer last.
 */
export const yieldToEventLoop: () => Promise<void> = scope.setImmediate
  ? () => new Promise<void>((resolve) => scope.setImmediate!(resolve))
  : scope.MessageChannel
    ? () =>
        new Promise<void>((resolve) => {
          const channel = new scope.MessageChannel!();
          channel.port1.onmessage = () => {
            channel.port1.close();
            resolve();
          };
          channel.port2.postMessage(undefined);
        })
    : () => new Promise<void>((resolve) => setTimeout(resolve, 0));
