// The map's geometry. Map units: Web Mercator (the projection of every online tile server,
// so that detailed tiles line up when the user turns them on) on a square world 360 wide
// and 360 high: x = longitude + 180, y from 0 at the top (85.05°N) to 360 at the bottom.

export type Outline = { name: string; d: string };

type Ring = number[][];

/** Where Web Mercator's square world ends, north and south. */
export const MAX_LATITUDE = 85.0511287798;

/** A point in map units. */
export function project(lon: number, lat: number): [number, number] {
  const phi = (Math.max(-MAX_LATITUDE, Math.min(MAX_LATITUDE, lat)) * Math.PI) / 180;
  return [lon + 180, 180 - (180 / Math.PI) * Math.log(Math.tan(Math.PI / 4 + phi / 2))];
}

/** The latitude at map height `y`. */
export function latitudeAt(y: number): number {
  return (360 / Math.PI) * Math.atan(Math.exp(((180 - y) * Math.PI) / 180)) - 90;
}

/** A ring as path commands; where it crosses the antimeridian (a jump of more than 180°
 * in longitude) it starts a new subpath instead of a line across the whole map. */
export function ringPath(ring: Ring): string {
  let d = '';
  let last: number | null = null;
  for (const [lon, lat] of ring) {
    const command = last === null || Math.abs(lon - last) > 180 ? 'M' : 'L';
    const [x, y] = project(lon, lat);
    d += `${command}${x.toFixed(2)} ${y.toFixed(2)}`;
    last = lon;
  }
  return d + 'Z';
}

export function countryOutlines(countries: GeoJSON.FeatureCollection): Outline[] {
  const outlines: Outline[] = [];
  countries.features.forEach((country, i) => {
    const g = country.geometry;
    const polygons = g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? g.coordinates : [];
    const d = polygons.flatMap((rings) => rings.map(ringPath)).join('');
    const name = (country.properties?.name as string | undefined) ?? `country ${i}`;
    if (d) outlines.push({ name, d });
  });
  return outlines;
}

export type Tile = { z: number; x: number; y: number; left: number; top: number; size: number };

/** The most tiles drawn at once: a 4K screen's map, its tiles drawn down to 181 px (the
 * zoom is rounded), needs about 150. */
export const MAX_TILES = 256;

/** The 256-pixel tiles (zoom `z`: 2^z by 2^z of them) that cover the part of the world
 * from (x0, y0) to (x1, y1) in map units, with where each goes in map units. */
export function tilesCovering(x0: number, y0: number, x1: number, y1: number, scale: number): Tile[] {
  const z = Math.max(0, Math.min(19, Math.round(Math.log2((360 * scale) / 256))));
  const n = 2 ** z;
  const size = 360 / n;
  const span = (a: number, b: number) => [Math.max(0, Math.floor(a / size)), Math.min(n - 1, Math.floor(b / size))];
  const [tx0, tx1] = span(x0, x1);
  const [ty0, ty1] = span(y0, y1);
  const tiles: Tile[] = [];
  for (let y = ty0; y <= ty1; y++) {
    for (let x = tx0; x <= tx1; x++) {
      if (tiles.length === MAX_TILES) return tiles;
      tiles.push({ z, x, y, left: x * size, top: y * size, size });
    }
  }
  return tiles;
}
