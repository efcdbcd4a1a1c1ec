// The timeline's layout: items grouped by month and day, laid out in rows of square
// cells. Only rows near the viewport are rendered (see Grid.svelte), so 100,000 items
// cost one pass here and a few dozen DOM nodes on screen.
import type { TimelineItem } from './bindings';

export const MONTH_HEADER = 52;
export const DAY_HEADER = 34;
export const GAP = 4;

export type Row =
  | { kind: 'month'; key: string; label: string; top: number; height: number }
  | { kind: 'day'; key: string; label: string; top: number; height: number }
  | { kind: 'cells'; key: string; start: number; end: number; top: number; height: number };

export interface Layout {
  rows: Row[];
  height: number;
  perRow: number;
  cell: number;
  /** For each item index, the index of the row that holds it. */
  rowOf: Int32Array;
}

const MONTHS = [
  'January', 'February', 'March', 'April', 'May', 'June',
  'July', 'August', 'September', 'October', 'November', 'December',
];
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** `YYYY-MM` and `YYYY-MM-DD` of an item's local date, or null when undated. */
export function dayOf(item: TimelineItem): string | null {
  const t = item.taken_at;
  return t && /^\d{4}-\d{2}-\d{2}/.test(t) ? t.slice(0, 10) : null;
}

export function monthLabel(day: string | null): string {
  if (!day) return 'Undated';
  return `${MONTHS[Number(day.slice(5, 7)) - 1]} ${day.slice(0, 4)}`;
}

export function dayLabel(day: string | null): string {
  if (!day) return 'No date';
  const [y, m, d] = day.split('-').map(Number);
  const weekday = WEEKDAYS[new Date(Date.UTC(y, m - 1, d)).getUTCDay()];
  return `${weekday}, ${d} ${MONTHS[m - 1]}`;
}

/** Lays out `items` (already in display order) for a grid `width` px wide. */
export function layout(items: TimelineItem[], width: number, target: number): Layout {
  const perRow = Math.max(1, Math.floor((width + GAP) / (target + GAP)));
  const cell = Math.max(40, Math.floor((width - GAP * (perRow - 1)) / perRow));
  const rows: Row[] = [];
  const rowOf = new Int32Array(items.length);
  let top = 0;
  let i = 0;
  while (i < items.length) {
    const day = dayOf(items[i]);
    const month = day ? day.slice(0, 7) : null;
    rows.push({ kind: 'month', key: `m${month}`, label: monthLabel(day), top, height: MONTH_HEADER });
    top += MONTH_HEADER;
    while (i < items.length && (dayOf(items[i])?.slice(0, 7) ?? null) === month) {
      const thisDay = dayOf(items[i]);
      if (day !== null) {
        rows.push({ kind: 'day', key: `d${thisDay}`, label: dayLabel(thisDay), top, height: DAY_HEADER });
        top += DAY_HEADER;
      }
      let start = i;
      while (i < items.length && dayOf(items[i]) === thisDay) i++;
      for (let s = start; s < i; s += perRow) {
        const end = Math.min(s + perRow, i);
        for (let k = s; k < end; k++) rowOf[k] = rows.length;
        rows.push({ kind: 'cells', key: `c${items[s].id}`, start: s, end, top, height: cell + GAP });
        top += cell + GAP;
      }
    }
  }
  return { rows, height: top, perRow, cell, rowOf };
}

/** The rows that intersect [from, to) px: a binary search, then a walk. */
export function visibleRows(rows: Row[], from: number, to: number): Row[] {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (rows[mid].top + rows[mid].height <= from) lo = mid + 1;
    else hi = mid;
  }
  const out: Row[] = [];
  for (let r = lo; r < rows.length && rows[r].top < to; r++) out.push(rows[r]);
  return out;
}
