// Country outlines as SVG paths in map units: x = longitude + 180, y = 90 - latitude
// (an equirectangular world 360 wide and 180 high).

export type Outline = { name: string; d: string };

type Ring = number[][];

/** A ring as path commands; where it crosses the antimeridian (a jump of more than 180°
 * in longitude) it starts a new subpath instead of a line across the whole map. */
export function ringPath(ring: Ring): string {
  let d = '';
  let last: number | null = null;
  for (const [lon, lat] of ring) {
    const command = last === null || Math.abs(lon - last) > 180 ? 'M' : 'L';
    d += `${command}${(lon + 180).toFixed(2)} ${(90 - lat).toFixed(2)}`;
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
