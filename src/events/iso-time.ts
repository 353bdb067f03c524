// Event times as ISO 8601 text, the hot path of every event made (sensors' emitters, importers):
// `new Date(ms).toISOString()` costs over a microsecond here, so the text of the current second is
// kept and only the milliseconds are formatted.

/** The last whole second formatted, so times in the same second format only their milliseconds. */
let isoSecond = NaN;
let isoPrefix = '';

/** The last millisecond of year 9999: past it (or before 1970) toISOString's text is longer. */
const LAST_FOUR_DIGIT_YEAR_MS = 253_402_300_799_999;

/** `new Date(ms).toISOString()`, cached per second for whole milliseconds in years 1970-9999. */
export function isoTime(ms: number): string {
  const second = Math.floor(ms / 1000);
  const frac = ms - second * 1000;
  if (second !== isoSecond || !Number.isInteger(frac)) {
    const iso = new Date(ms).toISOString();
    if (!Number.isInteger(frac) || ms < 0 || ms > LAST_FOUR_DIGIT_YEAR_MS) return iso;
    isoSecond = second;
    isoPrefix = iso.slice(0, 20);
    return iso;
  }
  return `${isoPrefix}${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}Z`;
}
