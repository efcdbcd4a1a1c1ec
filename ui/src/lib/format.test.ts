import { describe, expect, it } from 'vitest';
import { bytes, coordinates, duration, eta, takenAt } from './format';

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
});
