import stringWidth from "string-width";
import wrapAnsi from "wrap-ansi";
import { printable } from "./printable.js";

/**
 * Cells a terminal shows for `text`: emoji, ZWJ sequences and East Asian wide characters take two,
 * combining marks and variation selectors none (`string-width`, which follows Unicode's East Asian Width
 * and emoji data).
 *
 * @example displayWidth("👨‍👩‍👧 東京") // 7
 */
export function displayWidth(text: string): number {
  return stringWidth(text);
}

let graphemes: Intl.Segmenter | undefined;

/**
 * `text` cut to at most `width` cells with an ellipsis, by whole graphemes (an emoji family or a letter
 * with its accents is never split).
 *
 * @example truncate("Holiday ✈️ fund", 10) // "Holiday ✈…"
 */
export function truncate(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  if (width <= 0) return "";
  let out = "";
  let used = 0;
  graphemes ??= new Intl.Segmenter(undefined, { granularity: "grapheme" });
  for (const { segment } of graphemes.segment(text)) {
    const w = displayWidth(segment);
    if (used + w > width - 1) break;
    out += segment;
    used += w;
  }
  return `${out}…`;
}

/** A column of a table: its key in each row and how it may give way on a narrow terminal. */
export interface Column {
  key: string;
  /** Header text; default the key in capitals. */
  header?: string;
  /** Numbers and money line up on the right. */
  align?: "left" | "right";
  /** May be cut (with an ellipsis) down to `min` cells when the table is too wide. Default: left-aligned columns. */
  shrink?: boolean;
  /** Never cut below this many cells. Default 8. */
  min?: number;
  /** Never wider than this. */
  max?: number;
  /** When even cut columns do not fit, columns with a `drop` go first, lowest number first. */
  drop?: number;
  /** Once dropped, its values are kept in front of this column's cells: `(pending) Tesco`. */
  foldInto?: string;
  /** Left out when no row has a value in it. */
  omitEmpty?: boolean;
  /**
   * `"below"`: a text read whole rather than cut (a note naming a URL). When the table at its natural
   * widths is wider than `width`, the column leaves the row, and each of its values is shown under its own
   * row, labelled and wrapped to `width` (`  note: …`); in the list layout it is wrapped too.
   */
  overflow?: "cut" | "below";
}

export interface TableOptions {
  /** The terminal's width: the table is cut or laid out as a list to fit. Default: no limit. */
  width?: number;
  /** Below this width rows are shown as lists of `LABEL  value` lines. Default 50. */
  listBelow?: number;
}

const GAP = 2;

/**
 * Rows as an aligned table for a terminal: every cell passed through `printable` (bank text cannot move
 * the cursor, recolour or break a row), widths measured in display cells, cut with an ellipsis and
 * optional columns dropped to fit `width`; narrower than `listBelow`, one `LABEL  value` block per row.
 *
 * @example renderTable([{ name: "Savings", balance: "£10.00" }], ["name", { key: "balance", align: "right" }], { width: 80 })
 */
export function renderTable(
  rows: readonly Record<string, string | undefined>[],
  columns: readonly (Column | string)[],
  options: TableOptions = {},
): string {
  if (rows.length === 0) return "";
  const cols = columns
    .map((c) => (typeof c === "string" ? { key: c } : c))
    .filter((c) => !c.omitEmpty || rows.some((r) => (r[c.key] ?? "") !== ""));
  let cells = rows.map((r) => cols.map((c) => printable(r[c.key] ?? "")));
  const headers = cols.map((c) => printable(c.header ?? c.key.toUpperCase()));
  const width = options.width;
  const wrapped = new Set(cols.flatMap((c, i) => (c.overflow === "below" ? [i] : [])));
  if (width !== undefined && width < (options.listBelow ?? 50)) return list(cells, headers, width, wrapped);

  let active = cols.map((_, i) => i);
  let below: number[] = [];
  if (width !== undefined && wrapped.size > 0) {
    const natural = fit(active, cols, cells, headers, undefined)!;
    if (natural.reduce((a, b) => a + b, 0) + GAP * (natural.length - 1) > width) {
      below = active.filter((i) => wrapped.has(i));
      active = active.filter((i) => !wrapped.has(i));
    }
  }
  for (;;) {
    const widths = fit(active, cols, cells, headers, width);
    if (widths) return lines(active, cols, cells, headers, widths, below, width);
    const droppable = active.filter((i) => cols[i]!.drop !== undefined);
    if (droppable.length === 0) return list(cells, headers, width ?? Number.POSITIVE_INFINITY, wrapped);
    const first = droppable.reduce((a, b) => (cols[b]!.drop! < cols[a]!.drop! ? b : a));
    active = active.filter((i) => i !== first);
    const into = cols.findIndex((c) => c.key === cols[first]!.foldInto);
    if (into >= 0 && active.includes(into))
      cells = cells.map((row) =>
        row.map((cell, i) => (i === into && row[first] ? `(${row[first]}) ${cell}` : cell)),
      );
  }
}

/** Column widths that fit `width`, cutting shrinkable columns, or undefined when they cannot. */
function fit(
  active: number[],
  cols: Column[],
  cells: string[][],
  headers: string[],
  width: number | undefined,
): number[] | undefined {
  const widths = active.map((i) => {
    const natural = Math.max(displayWidth(headers[i]!), ...cells.map((row) => displayWidth(row[i]!)));
    return Math.min(natural, cols[i]!.max ?? natural);
  });
  if (width === undefined) return widths;
  const total = () => widths.reduce((a, b) => a + b, 0) + GAP * (widths.length - 1);
  const floor = active.map((i, j) => {
    const c = cols[i]!;
    const shrinks = c.shrink ?? c.align !== "right";
    return shrinks ? Math.min(widths[j]!, c.min ?? 8) : widths[j]!;
  });
  // Take a cell at a time from the widest column that can still give one, so long texts share the cut.
  while (total() > width) {
    let widest = -1;
    for (let j = 0; j < widths.length; j++)
      if (widths[j]! > floor[j]! && (widest < 0 || widths[j]! > widths[widest]!)) widest = j;
    if (widest < 0) return undefined;
    widths[widest]!--;
  }
  return widths;
}

function pad(text: string, width: number, right: boolean): string {
  const cut = truncate(text, width);
  const fill = " ".repeat(Math.max(0, width - displayWidth(cut)));
  return right ? fill + cut : cut + fill;
}

function lines(
  active: number[],
  cols: Column[],
  cells: string[][],
  headers: string[],
  widths: number[],
  below: number[] = [],
  width = Number.POSITIVE_INFINITY,
): string {
  const line = (row: string[]) =>
    active
      .map((i, j) => pad(row[i]!, widths[j]!, cols[i]!.align === "right"))
      .join(" ".repeat(GAP))
      .trimEnd();
  const under = (row: string[]) =>
    below.flatMap((i) => {
      if (row[i] === "") return [];
      const label = `  ${headers[i]!.toLowerCase()}: `;
      return [hang(label, row[i]!, width)];
    });
  return `${[line(headers), ...cells.flatMap((row) => [line(row), ...under(row)])].join("\n")}\n`;
}

/**
 * `text` after `label`, wrapped at spaces to `width` cells (a word longer than the room is broken), each
 * following line indented under the first character of `text`. `wrap-ansi` measures by graphemes with
 * `string-width`, as the table does, and returns the text in NFC (the same characters on a terminal).
 */
function hang(label: string, text: string, width: number): string {
  const indent = displayWidth(label);
  const room = Math.max(1, width - indent);
  if (!Number.isFinite(width) || displayWidth(text) <= room) return `${label}${text}`;
  return wrapAnsi(text, room, { hard: true, trim: true })
    .split("\n")
    .map((part, k) => `${k === 0 ? label : " ".repeat(indent)}${part}`)
    .join("\n");
}

/**
 * A narrow terminal: each row as `LABEL  value` lines, rows apart by a blank line; the values of
 * `wrapped` columns wrapped to the width, the others cut.
 */
function list(cells: string[][], headers: string[], width: number, wrapped: ReadonlySet<number>): string {
  const label = Math.max(...headers.map(displayWidth));
  const room = Math.max(1, width - label - GAP);
  return `${cells
    .map((row) =>
      row
        .map((value, i) => {
          if (value === "") return undefined;
          const name = `${pad(headers[i]!, label, false)}  `;
          return wrapped.has(i) ? hang(name, value, width) : `${name}${truncate(value, room)}`;
        })
        .filter((l) => l !== undefined)
        .join("\n"),
    )
    .join("\n\n")}\n`;
}

/**
 * A plain aligned table (see `renderTable`): cells sanitised, widths in display cells, the listed columns
 * right-aligned; cut to `width` when given.
 */
export function table(
  rows: Record<string, string>[],
  columns: string[],
  options: { right?: string[]; width?: number } = {},
): string {
  const right = new Set(options.right ?? []);
  return renderTable(
    rows,
    columns.map((key) => ({ key, ...(right.has(key) ? { align: "right" as const } : {}) })),
    options.width === undefined ? {} : { width: options.width },
  );
}
