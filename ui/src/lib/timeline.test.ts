import { describe, expect, it } from 'vitest';
import { layout, visibleRows, dayLabel, monthLabel } from './timeline';
import type { TimelineItem } from './bindings';

function item(id: number, taken_at: string | null): TimelineItem {
  return {
    id: String(id).padStart(32, '0'),
    name: `${id}.jpg`,
    taken_at,
    kind: 'photo',
    duration_ms: null,
    favourite: false,
    no_thumbnail: null,
    stack_kind: null,
    stack_size: 0,
  };
}

describe('timeline layout', () => {
  it('groups by month then day, and wraps days into rows', () => {
    const items = [
      item(1, '2024-05-03T10:00:00+02:00'),
      item(2, '2024-05-03T09:00:00+02:00'),
      item(3, '2024-05-03T08:00:00+02:00'),
      item(4, '2024-05-01T08:00:00'),
      item(5, '2023-12-24T18:00:00Z'),
      item(6, null),
    ];
    // 2 cells per row at 200 px.
    const l = layout(items, 404, 200);
    expect(l.perRow).toBe(2);
    expect(l.rows.map((r) => r.kind)).toEqual([
      'month', 'day', 'cells', 'cells', 'day', 'cells',
      'month', 'day', 'cells',
      'month', 'cells',
    ]);
    expect(l.rows[0]).toMatchObject({ label: 'May 2024' });
    expect(l.rows[1]).toMatchObject({ label: 'Friday, 3 May' });
    expect(l.rows[9]).toMatchObject({ label: 'Undated' });
    expect(Array.from(l.rowOf)).toEqual([2, 2, 3, 5, 8, 10]);
    const last = l.rows[l.rows.length - 1];
    expect(l.height).toBe(last.top + last.height);
  });

  it('finds only the rows in view, even among 100,000 items', () => {
    const items = Array.from({ length: 100_000 }, (_, i) =>
      item(i, `20${String(10 + (i % 10)).padStart(2, '0')}-0${1 + (i % 9)}-1${i % 10}T00:00:00`),
    );
    items.sort((a, b) => (a.taken_at! < b.taken_at! ? 1 : -1));
    const l = layout(items, 1200, 160);
    const view = visibleRows(l.rows, 50_000, 50_800);
    expect(view.length).toBeGreaterThan(2);
    expect(view.length).toBeLessThan(20);
    for (const r of view) {
      expect(r.top + r.height).toBeGreaterThan(50_000);
      expect(r.top).toBeLessThan(50_800);
    }
  });

  it('labels', () => {
    expect(monthLabel('2008-10-22')).toBe('October 2008');
    expect(dayLabel('2008-10-22')).toBe('Wednesday, 22 October');
    expect(monthLabel(null)).toBe('Undated');
  });
});
