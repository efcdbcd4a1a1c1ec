// Multi-select as in every photo app: click selects one, Ctrl/Cmd-click toggles,
// Shift-click selects the range from the last clicked item.

export interface Selection {
  ids: Set<string>;
  /** Index of the last item clicked without Shift. */
  anchor: number | null;
}

export function emptySelection(): Selection {
  return { ids: new Set(), anchor: null };
}

export function click(
  selection: Selection,
  order: string[],
  index: number,
  modifiers: { shift: boolean; toggle: boolean },
): Selection {
  const id = order[index];
  if (modifiers.shift && selection.anchor !== null) {
    const [a, b] = [selection.anchor, index].sort((x, y) => x - y);
    const ids = modifiers.toggle ? new Set(selection.ids) : new Set<string>();
    for (let i = a; i <= b; i++) ids.add(order[i]);
    return { ids, anchor: selection.anchor };
  }
  if (modifiers.toggle) {
    const ids = new Set(selection.ids);
    if (ids.has(id)) ids.delete(id);
    else ids.add(id);
    return { ids, anchor: index };
  }
  return { ids: new Set([id]), anchor: index };
}

export function selectAll(order: string[]): Selection {
  return { ids: new Set(order), anchor: order.length ? 0 : null };
}
