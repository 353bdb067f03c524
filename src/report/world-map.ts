// A world map coloured by the number of distinct sources per country: Natural Earth 1:110m shapes from
// the world-atlas package, projected with d3-geo into SVG paths (no script in the page).
import { createRequire } from 'node:module';
import { geoNaturalEarth1, geoPath } from 'd3-geo';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import countries from 'i18n-iso-countries';
import { escapeHtml } from './svg.js';

const require = createRequire(import.meta.url);
countries.registerLocale(require('i18n-iso-countries/langs/en.json') as Parameters<typeof countries.registerLocale>[0]);

export const MAP_WIDTH = 960;
export const MAP_HEIGHT = 500;

interface Shape {
  alpha2: string | undefined;
  name: string;
  d: string;
}

let shapes: Shape[] | undefined;

function loadShapes(): Shape[] {
  const topo = require('world-atlas/countries-110m.json') as Topology<{ countries: GeometryCollection<{ name: string }> }>;
  const fc = feature(topo, topo.objects.countries);
  const projection = geoNaturalEarth1().fitSize([MAP_WIDTH, MAP_HEIGHT], fc);
  const path = geoPath(projection);
  return fc.features.map((f) => ({
    alpha2: f.id !== undefined ? countries.numericToAlpha2(String(f.id)) : undefined,
    name: f.properties?.name ?? '',
    d: path(f) ?? '',
  }));
}

export function countryName(code: string): string {
  return countries.getName(code, 'en') ?? code;
}

/** Colour for COUNT on a log scale up to MAX: pale yellow to dark red; grey for none. */
export function heatColour(count: number, max: number): string {
  if (count <= 0) return '#e8e8e8';
  const t = max <= 1 ? 1 : Math.log(count) / Math.log(max);
  const lerp = (a: number, b: number): number => Math.round(a + (b - a) * t);
  return `rgb(${lerp(255, 165)},${lerp(220, 15)},${lerp(130, 21)})`;
}

/** The map as inline SVG; SOURCES maps ISO alpha-2 codes to distinct source IPs. */
export function worldMapSvg(id: string, sources: ReadonlyMap<string, number>): string {
  shapes ??= loadShapes();
  const max = Math.max(1, ...sources.values());
  const paths = shapes.map((s) => {
    const n = s.alpha2 ? (sources.get(s.alpha2) ?? 0) : 0;
    const label = `${s.alpha2 ? countryName(s.alpha2) : s.name}: ${n} source${n === 1 ? '' : 's'}`;
    return `<path d="${s.d}" fill="${heatColour(n, max)}" stroke="#fff" stroke-width="0.5"${s.alpha2 ? ` data-country="${s.alpha2}"` : ''}><title>${escapeHtml(label)}</title></path>`;
  });
  const legend = [1, Math.round(Math.sqrt(max)), max]
    .filter((v, i, a) => a.indexOf(v) === i)
    .map((v, i) => `<rect x="${20 + i * 90}" y="${MAP_HEIGHT - 30}" width="14" height="14" fill="${heatColour(v, max)}"/><text x="${38 + i * 90}" y="${MAP_HEIGHT - 19}" class="lbl">${v}</text>`)
    .join('');
  return `<svg id="${escapeHtml(id)}" class="chart map" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${MAP_WIDTH} ${MAP_HEIGHT}" width="${MAP_WIDTH}" height="${MAP_HEIGHT}" role="img" aria-label="Sources by country"><title>Distinct source IPs by country</title><rect width="${MAP_WIDTH}" height="${MAP_HEIGHT}" fill="#f4f8fb"/>${paths.join('')}${legend}</svg>`;
}
