import { describe, expect, it } from 'vitest';
import { click, emptySelection, selectAll } from './selection';

const order = ['a', 'b', 'c', 'd', 'e'];
const plain = { shift: false, toggle: false };

describe('selection', () => {
  it('click selects one, ctrl-click toggles, shift-click selects a range', () => {
    let s = click(emptySelection(), order, 1, plain);
    expect([...s.ids]).toEqual(['b']);
    s = click(s, order, 3, { shift: false, toggle: true });
    expect([...s.ids].sort()).toEqual(['b', 'd']);
    s = click(s, order, 3, { shift: false, toggle: true });
    expect([...s.ids]).toEqual(['b']);
    s = click(s, order, 0, { shift: true, toggle: false });
    expect([...s.ids].sort()).toEqual(['a', 'b', 'c', 'd']);
    s = click(click(emptySelection(), order, 1, plain), order, 4, { shift: true, toggle: false });
    expect([...s.ids].sort()).toEqual(['b', 'c', 'd', 'e']);
  });

  it('select all', () => {
    expect(selectAll(order).ids.size).toBe(5);
  });
});
