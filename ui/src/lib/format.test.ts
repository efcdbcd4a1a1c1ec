import { describe, expect, it } from 'vitest';
import { bytes, coordinates, dayRange, duration, eta, stackBadge, takenAt, yearsAgo } from './format';

describe('format', () => {
  it('bytes, durations and ETAs read naturally', () => {
    expect(bytes(512)).toBe('512 B');
    expect(bytes(3.5 * 1024 * 1024)).toBe('3.5 MB');
    expect(bytes(250 * 1024 ** 3)).toBe('250 GB');
    expect(duration(83_000)).toBe('1:23');
    expect(duration(3_723_000)).toBe('1:02:03');
    expect(eta(50, 100, 10_000)).toBe('10 s left');
    expect(eta(10, 100, 60_000)).toBe('9 min left');
    expect(eta(0, 100, 1000)).toBeNull();
  });

  it('dates keep their own clock time; coordinates name their hemisphere', () => {
    expect(takenAt('2008-10-22T16:29:49+02:00')).toBe('22 Oct 2008, 16:29');
    expect(takenAt(null)).toBe('Unknown date');
    expect(coordinates(43.4674, -11.8851)).toBe('43.46740°N 11.88510°W');
  });

  it('memories say how long ago', () => {
    expect(yearsAgo('2008-05-30T15:56:01', 2026)).toBe('18 years ago');
    expect(yearsAgo('2025-12-30T10:00:00Z', 2026)).toBe('A year ago');
    expect(yearsAgo('2026-01-01T10:00:00Z', 2026)).toBe('');
    expect(yearsAgo(null, 2026)).toBe('');
  });
});

describe('dayRange', () => {
  it('says a trip\'s days as briefly as reads well', () => {
    expect(dayRange('2026-04-10T09:00:00', '2026-04-10T18:00:00')).toBe('10 Apr 2026');
    expect(dayRange('2026-04-10T09:00:00', '2026-04-12T18:00:00')).toBe('10–12 Apr 2026');
    expect(dayRange('2026-04-28T09:00:00', '2026-05-02T18:00:00')).toBe('28 Apr – 2 May 2026');
    expect(dayRange('2025-12-30T09:00:00', '2026-01-02T18:00:00')).toBe('30 Dec 2025 – 2 Jan 2026');
  });
});

describe('stackBadge', () => {
  it('names Live Photos, Motion Photos and RAW pairs, and counts a burst', () => {
    expect(stackBadge('live', 2)).toBe('LIVE');
    expect(stackBadge('motion', 1)).toBe('MOTION');
    expect(stackBadge('raw+jpeg', 2)).toBe('RAW+JPEG');
    expect(stackBadge('burst', 5)).toBe('▣ 5');
  });
});
