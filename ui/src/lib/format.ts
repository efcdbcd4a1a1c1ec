// How numbers look to people.

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

export function duration(ms: number): string {
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

export function eta(bytesDone: number, bytesTotal: number, elapsedMs: number): string | null {
  if (bytesDone <= 0 || elapsedMs < 1000 || bytesTotal <= bytesDone) return null;
  const seconds = ((bytesTotal - bytesDone) / bytesDone) * (elapsedMs / 1000);
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s left`;
  return `${Math.round(seconds / 60)} min left`;
}

export function rate(bytesDone: number, elapsedMs: number): string {
  if (elapsedMs <= 0) return '';
  return `${bytes((bytesDone / elapsedMs) * 1000)}/s`;
}

/** 43.467°N 11.885°E */
export function coordinates(lat: number, lon: number): string {
  const ns = lat >= 0 ? 'N' : 'S';
  const ew = lon >= 0 ? 'E' : 'W';
  return `${Math.abs(lat).toFixed(5)}°${ns} ${Math.abs(lon).toFixed(5)}°${ew}`;
}

/** The date as taken (its own offset kept), e.g. "3 May 2008, 14:02". */
export function takenAt(iso: string | null): string {
  if (!iso) return 'Unknown date';
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?/.exec(iso);
  if (!m) return iso;
  const month = new Date(Date.UTC(2000, Number(m[2]) - 1, 1)).toLocaleString('en', {
    month: 'short',
    timeZone: 'UTC',
  });
  return `${Number(m[3])} ${month} ${m[1]}${m[4] ? `, ${m[4]}:${m[5]}` : ''}`;
}

/** The days from one time to another, as short as reads well: "10 Apr 2026",
 * "10–12 Apr 2026", "28 Apr – 2 May 2026", "30 Dec 2025 – 2 Jan 2026". */
export function dayRange(first: string, last: string): string {
  const parts = (iso: string) => {
    const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso);
    if (!m) return null;
    const month = new Date(Date.UTC(2000, Number(m[2]) - 1, 1)).toLocaleString('en', {
      month: 'short',
      timeZone: 'UTC',
    });
    return { year: m[1], month, day: String(Number(m[3])) };
  };
  const a = parts(first);
  const b = parts(last);
  if (!a || !b) return `${first} – ${last}`;
  if (a.year !== b.year) return `${a.day} ${a.month} ${a.year} – ${b.day} ${b.month} ${b.year}`;
  if (a.month !== b.month) return `${a.day} ${a.month} – ${b.day} ${b.month} ${b.year}`;
  if (a.day !== b.day) return `${a.day}–${b.day} ${b.month} ${b.year}`;
  return `${b.day} ${b.month} ${b.year}`;
}

/** "3 years ago", for a memory taken at `takenAt` (ISO 8601) seen in `year`. */
export function yearsAgo(takenAt: string | null, year: number): string {
  const taken = Number(takenAt?.slice(0, 4));
  if (!takenAt || !Number.isFinite(taken) || taken >= year) return '';
  const n = year - taken;
  return n === 1 ? 'A year ago' : `${n} years ago`;
}

/** A stack's badge in the grid: what it is, and for a burst how many shots it holds. */
export function stackBadge(kind: string, size: number): string {
  if (kind === 'live') return 'LIVE';
  if (kind === 'motion') return 'MOTION';
  if (kind === 'raw+jpeg') return 'RAW+JPEG';
  return `▣ ${size}`;
}
