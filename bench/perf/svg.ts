/**
 * The latency chart of `npm run bench`, drawn by hand (no charting dependency): one panel per
 * scenario, latency (ms, linear) against percentile on the usual HDR "nines" axis
 * (x = −log10(1 − p), so p50, p90, p99, p99.9 and p99.99 are evenly spaced), one curve per
 * contender (and per phase, dashed after the first). Pure: returns the SVG text.
 */
import type { LatencyCurve } from './scenario';

export interface ChartSeries {
  /** The contender ('app', 'baseline', 'app@<ref>'): its colour. */
  contender: string;
  /** A phase label ('' for a single-load scenario, e.g. 'flood'): its dash pattern. */
  label: string;
  curve: LatencyCurve;
}

export interface ChartPanel {
  title: string;
  series: ChartSeries[];
}

const PANEL_WIDTH = 460;
const PANEL_HEIGHT = 280;
const MARGIN = { left: 58, right: 26, top: 34, bottom: 62 };
const COLUMNS = 2;
const MAX_NINES = 4; // p99.99
const X_TICKS: [number, string][] = [
  [0, 'p0'],
  [50, 'p50'],
  [90, 'p90'],
  [99, 'p99'],
  [99.9, 'p99.9'],
  [99.99, 'p99.99'],
];
const DASHES = ['', '6 4', '2 3', '10 3 2 3'];

export function contenderColour(contender: string): string {
  if (contender === 'app') return '#c0392b';
  if (contender === 'baseline') return '#1f5fa8';
  if (contender.startsWith('app@')) return '#e08e0b';
  return '#555555';
}

/** The x position (0–1) of a percentile on the nines axis. */
export function ninesPosition(percentile: number): number {
  const p = Math.min(percentile, 99.99) / 100;
  return Math.min(MAX_NINES, -Math.log10(1 - p)) / MAX_NINES;
}

/** A round upper bound for the y axis (1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 × 10^n) at or above `max`. */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const exponent = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (step * exponent >= max) return step * exponent;
  return 10 * exponent;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const fmt = (n: number) => (Math.round(n * 10) / 10).toString();

function panel(chart: ChartPanel, originX: number, originY: number): string {
  const plotWidth = PANEL_WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const x0 = originX + MARGIN.left;
  const y0 = originY + MARGIN.top;
  const maxMs = niceMax(
    Math.max(0, ...chart.series.flatMap((s) => s.curve.map(([, ms]) => ms).filter(Number.isFinite))),
  );
  const x = (p: number) => x0 + ninesPosition(p) * plotWidth;
  const y = (ms: number) => y0 + plotHeight - (Math.min(ms, maxMs) / maxMs) * plotHeight;
  const parts: string[] = [];
  parts.push(
    `<text x="${fmt(originX + PANEL_WIDTH / 2)}" y="${fmt(originY + 20)}" class="title">${escapeXml(chart.title)}</text>`,
  );
  parts.push(
    `<rect x="${fmt(x0)}" y="${fmt(y0)}" width="${fmt(plotWidth)}" height="${fmt(plotHeight)}" class="plot"/>`,
  );
  for (let i = 0; i <= 4; i++) {
    const ms = (maxMs * i) / 4;
    parts.push(
      `<line x1="${fmt(x0)}" x2="${fmt(x0 + plotWidth)}" y1="${fmt(y(ms))}" y2="${fmt(y(ms))}" class="grid"/>`,
    );
    parts.push(`<text x="${fmt(x0 - 6)}" y="${fmt(y(ms) + 4)}" class="ytick">${fmt(ms)}</text>`);
  }
  for (const [p, label] of X_TICKS) {
    parts.push(`<line x1="${fmt(x(p))}" x2="${fmt(x(p))}" y1="${fmt(y0)}" y2="${fmt(y0 + plotHeight)}" class="grid"/>`);
    parts.push(`<text x="${fmt(x(p))}" y="${fmt(y0 + plotHeight + 16)}" class="xtick">${label}</text>`);
  }
  parts.push(
    `<text x="${fmt(originX + 14)}" y="${fmt(y0 + plotHeight / 2)}" class="axis" transform="rotate(-90 ${fmt(originX + 14)} ${fmt(y0 + plotHeight / 2)})">latency (ms)</text>`,
  );
  const labels = [...new Set(chart.series.map((s) => s.label))];
  chart.series.forEach((series, index) => {
    const points = series.curve
      .filter(([p, ms]) => Number.isFinite(p) && Number.isFinite(ms))
      .map(([p, ms]) => `${fmt(x(p))},${fmt(y(ms))}`)
      .join(' ');
    const dash = DASHES[labels.indexOf(series.label) % DASHES.length];
    parts.push(
      `<polyline points="${points}" fill="none" stroke="${contenderColour(series.contender)}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`,
    );
    const legendX = x0 + (index % 3) * 135;
    const legendY = y0 + plotHeight + 34 + Math.floor(index / 3) * 14;
    parts.push(
      `<line x1="${fmt(legendX)}" x2="${fmt(legendX + 18)}" y1="${fmt(legendY - 4)}" y2="${fmt(legendY - 4)}" stroke="${contenderColour(series.contender)}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`,
    );
    const name = series.label ? `${series.contender} ${series.label}` : series.contender;
    parts.push(`<text x="${fmt(legendX + 22)}" y="${fmt(legendY)}" class="legend">${escapeXml(name)}</text>`);
  });
  return parts.join('\n');
}

/** The whole chart: panels in a grid of two columns, the caption's lines under them. */
export function latencyChart(panels: ChartPanel[], caption: string[]): string {
  const rows = Math.max(1, Math.ceil(panels.length / COLUMNS));
  const width = PANEL_WIDTH * Math.min(COLUMNS, Math.max(1, panels.length));
  const height = PANEL_HEIGHT * rows + 14 * caption.length + 10;
  const body = panels.map((p, i) => panel(p, (i % COLUMNS) * PANEL_WIDTH, Math.floor(i / COLUMNS) * PANEL_HEIGHT));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    '<style>',
    '.title{font-size:14px;font-weight:bold;text-anchor:middle}',
    '.plot{fill:#fff;stroke:#999}',
    '.grid{stroke:#e3e3e3}',
    '.ytick{font-size:10px;text-anchor:end;fill:#444}',
    '.xtick{font-size:10px;text-anchor:middle;fill:#444}',
    '.axis{font-size:11px;text-anchor:middle;fill:#444}',
    '.legend{font-size:11px;fill:#222}',
    '.caption{font-size:10px;fill:#666}',
    '</style>',
    `<rect width="${width}" height="${height}" fill="#fafafa"/>`,
    ...body,
    ...caption.map(
      (line, i) => `<text x="8" y="${PANEL_HEIGHT * rows + 14 * (i + 1)}" class="caption">${escapeXml(line)}</text>`,
    ),
    '</svg>',
    '',
  ].join('\n');
}
