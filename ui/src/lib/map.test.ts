import { describe, expect, it } from 'vitest';
import { feature } from 'topojson-client';
import world from 'world-atlas/countries-110m.json';
import { MAX_LATITUDE, countryOutlines, latitudeAt, project, ringPath, tilesCovering } from './map';

describe('map projection', () => {
  it('is Web Mercator on a square world 360 wide', () => {
    expect(project(0, 0)).toEqual([180, 180]);
    const [x, top] = project(-180, MAX_LATITUDE);
    expect(x).toBe(0);
    expect(top).toBeCloseTo(0, 6);
    expect(project(180, -90)[1]).toBeCloseTo(360, 6);
    for (const lat of [-80, -33.87, 0, 43.46, 60, 85]) expect(latitudeAt(project(0, lat)[1])).toBeCloseTo(lat, 9);
  });

  it('finds the tile a place is on as tile servers number them', () => {
    // Lisbon at zoom 10 is tile 486/392 (OpenStreetMap's numbering: x from the
    // antimeridian eastward, y from the north).
    const [x, y] = project(-9.1393, 38.7223);
    const tiles = tilesCovering(x, y, x, y, 256 * 2 ** 10 / 360);
    expect(tiles.map((t) => [t.z, t.x, t.y])).toEqual([[10, 486, 392]]);
    expect(tiles[0].left).toBeLessThanOrEqual(x);
    expect(tiles[0].left + tiles[0].size).toBeGreaterThan(x);
  });

  it('covers the view with a bounded number of tiles, none outside the world', () => {
    const all = tilesCovering(-50, -50, 410, 410, 256 / 360);
    expect(all.map((t) => [t.z, t.x, t.y])).toEqual([[0, 0, 0]]);
    const many = tilesCovering(0, 0, 360, 360, 256 * 2 ** 12 / 360);
    expect(many.length).toBeLessThanOrEqual(256);
  });
});

describe('map outlines', () => {
  it('places a ring in map units', () => {
    expect(ringPath([[-180, 0], [0, 0], [180, 0]])).toBe('M0.00 180.00L180.00 180.00L360.00 180.00Z');
  });

  it('breaks a ring where it crosses the antimeridian, never a line across the world', () => {
    const d = ringPath([[179, 0], [-179, 0], [-178, 0]]);
    expect(d).toBe('M359.00 180.00M1.00 180.00L2.00 180.00Z');
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
