import { describe, expect, it } from 'vitest';
import { feature } from 'topojson-client';
import world from 'world-atlas/countries-110m.json';
import { countryOutlines, ringPath } from './map';

describe('map outlines', () => {
  it('places a ring in map units', () => {
    expect(ringPath([[-180, 90], [0, 0], [180, -90]])).toBe('M0.00 0.00L180.00 90.00L360.00 180.00Z');
  });

  it('breaks a ring where it crosses the antimeridian, never a line across the world', () => {
    const d = ringPath([[179, 65], [-179, 66], [-178, 64]]);
    expect(d).toBe('M359.00 25.00M1.00 24.00L2.00 26.00Z');
  });

  it('draws every country of the bundled Natural Earth data, named', () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const outlines = countryOutlines(feature(world as any, (world as any).objects.countries) as any);
    expect(outlines.length).toBeGreaterThan(170);
    const italy = outlines.find((o) => o.name === 'Italy');
    expect(italy?.d).toMatch(/^M\d/);
    // No segment of any outline spans more than half the world.
    for (const o of outlines) {
      for (const sub of o.d.split('M').slice(1)) {
        const xs = [...sub.matchAll(/(?:^|L)([\d.]+) /g)].map((m) => Number(m[1]));
        for (let i = 1; i < xs.length; i++) expect(Math.abs(xs[i] - xs[i - 1])).toBeLessThan(180);
      }
    }
  });
});
