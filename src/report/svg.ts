// Inline SVG charts for reports: plain markup, no script, readable offline and printable.

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface Series {
  name: string;
  color: string;
  values: readonly number[];
}

export const COLORS = { external: '#d9822b', internal: '#2b6cb0', private: '#8a8f98' } as const;

/** Horizontal grouped bars: one row per category, one bar per series, the value at each bar's end. */
export function barChart(id: string, title: string, categories: readonly string[], series: readonly Series[]): string {
  const labelW = 150;
  const barH = 14;
  const gap = 8;
  const width = 720;
  const plotW = width - labelW - 60;
  const max = Math.max(1, ...series.flatMap((s) => s.values));
  const rowH = series.length * barH + gap;
  const height = 40 + categories.length * rowH + 20;
  const parts: string[] = [];
  categories.forEach((cat, i) => {
    const y0 = 36 + i * rowH;
    parts.push(`<text x="${labelW - 6}" y="${y0 + (series.length * barH) / 2 + 4}" text-anchor="end" class="lbl">${escapeHtml(cat)}</text>`);
    series.forEach((s, j) => {
      const v = s.values[i] ?? 0;
      const w = Math.round((v / max) * plotW);
      const y = y0 + j * barH;
      parts.push(`<rect x="${labelW}" y="${y}" width="${w}" height="${barH - 2}" fill="${s.color}"><title>${escapeHtml(`${cat}, ${s.name}: ${v}`)}</title></rect>`);
      parts.push(`<text x="${labelW + w + 4}" y="${y + barH - 4}" class="val">${v}</text>`);
    });
  });
  const legend = series
    .map((s, j) => `<rect x="${labelW + j * 130}" y="14" width="12" height="12" fill="${s.color}"/><text x="${labelW + j * 130 + 16}" y="24" class="lbl">${escapeHtml(s.name)}</text>`)
    .join('');
  return `<svg id="${escapeHtml(id)}" class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(title)}"><title>${escapeHtml(title)}</title>${legend}${parts.join('')}</svg>`;
}

/** Vertical grouped bars over time (months on the x axis). */
export function timeChart(id: string, title: string, months: readonly string[], series: readonly Series[]): string {
  const left = 40;
  const height = 220;
  const plotH = 150;
  const groupW = Math.max(18, Math.min(60, Math.floor(640 / Math.max(1, months.length))));
  const barW = Math.max(3, Math.floor((groupW - 4) / Math.max(1, series.length)));
  const width = Math.max(left + months.length * groupW + 20, left + series.length * 130 + 20);
  const max = Math.max(1, ...series.flatMap((s) => s.values));
  const parts: string[] = [`<line x1="${left}" y1="${30 + plotH}" x2="${width - 10}" y2="${30 + plotH}" stroke="#999"/>`, `<text x="${left - 4}" y="36" text-anchor="end" class="val">${max}</text>`];
  months.forEach((m, i) => {
    const x0 = left + i * groupW;
    series.forEach((s, j) => {
      const v = s.values[i] ?? 0;
      const h = Math.round((v / max) * plotH);
      parts.push(`<rect x="${x0 + j * barW}" y="${30 + plotH - h}" width="${barW - 1}" height="${h}" fill="${s.color}"><title>${escapeHtml(`${m}, ${s.name}: ${v}`)}</title></rect>`);
    });
    if (months.length <= 24 || i % Math.ceil(months.length / 24) === 0) {
      parts.push(`<text x="${x0 + groupW / 2}" y="${30 + plotH + 14}" text-anchor="middle" class="val" transform="rotate(45 ${x0 + groupW / 2} ${30 + plotH + 14})">${escapeHtml(m)}</text>`);
    }
  });
  const legend = series.map((s, j) => `<rect x="${left + j * 130}" y="8" width="12" height="12" fill="${s.color}"/><text x="${left + j * 130 + 16}" y="18" class="lbl">${escapeHtml(s.name)}</text>`).join('');
  return `<svg id="${escapeHtml(id)}" class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(title)}"><title>${escapeHtml(title)}</title>${legend}${parts.join('')}</svg>`;
}
