import { html, trusted, type Html } from './html';

/**
 * Charts drawn on the server as SVG: stacked bars and lines with a y axis of round numbers and
 * labelled x positions. Each chart is an image with a title and a description (role="img",
 * aria-labelledby), draws its colours from the stylesheet by series key (no inline style), and
 * comes with a table of the same numbers (chartTable) for screen readers and for reading exact
 * values. Nothing from a request reaches the SVG unescaped.
 */

export interface Series {
  /** Names the series' CSS class (`series-<key>`): lower-case letters and hyphens. */
  readonly key: string;
  readonly label: string;
  readonly values: readonly number[];
}

export interface ChartInput {
  /** Unique on the page: the ids of the title and description derive from it. */
  readonly id: string;
  readonly title: string;
  readonly description: string;
  /** One label per x position (a run's start time, say). */
  readonly labels: readonly string[];
  readonly series: readonly Series[];
  /** Appended to values in the table and the bars' tooltips: "ms", "objects". */
  readonly unit?: string;
}

const WIDTH = 720;
const HEIGHT = 260;
/**
 * Room for the axes' labels: the x labels are turned 30° and end under their mark, so a label of 18
 * characters ("11-23 13:11 (dry)") reaches about 90 units to the left of and 50 below its start.
 */
const MARGIN = { top: 16, right: 16, bottom: 76, left: 88 };
const PLOT_WIDTH = WIDTH - MARGIN.left - MARGIN.right;
const PLOT_HEIGHT = HEIGHT - MARGIN.top - MARGIN.bottom;
/** At most this many x labels are written; the others are left out evenly, so they never overlap. */
const MAX_X_LABELS = 10;

/** Stacked bars: one bar per label, one segment per series. */
export function barChart(input: ChartInput): Html {
  const totals = input.labels.map((_, index) => input.series.reduce((sum, series) => sum + valueAt(series, index), 0));
  const axis = yAxis(Math.max(0, ...totals));
  const barWidth = Math.max(2, slotWidth(input) * 0.7);
  const bars = input.labels.map((label, index) => {
    let base = 0;
    const x = xAt(input, index) - barWidth / 2;
    return input.series.map((series) => {
      const value = valueAt(series, index);
      if (value <= 0) return '';
      const y0 = axis.y(base);
      base += value;
      const y1 = axis.y(base);
      return html`<rect class="${seriesClass(series)}" x="${fixed(x)}" y="${fixed(y1)}" width="${fixed(barWidth)}" height="${fixed(y0 - y1)}"><title>${label}: ${series.label} ${formatNumber(value)}${unitText(input)}</title></rect>`;
    });
  });
  return frame(input, axis, trusted(bars.flat().map(String).join('')));
}

/** Lines: one polyline per series, with a dot at each value. */
export function lineChart(input: ChartInput): Html {
  const axis = yAxis(Math.max(0, ...input.series.flatMap((series) => series.values)));
  const xOf = (index: number) => xAt(input, index);
  const lines = input.series.map((series) => {
    const points = input.labels.map((_, index) => `${fixed(xOf(index))},${fixed(axis.y(valueAt(series, index)))}`);
    const dots = input.labels.map((label, index) => html`<circle class="${seriesClass(series)}" cx="${fixed(xOf(index))}" cy="${fixed(axis.y(valueAt(series, index)))}" r="3"><title>${label}: ${series.label} ${formatNumber(valueAt(series, index))}${unitText(input)}</title></circle>`);
    return html`<polyline class="line ${seriesClass(series)}" points="${points.join(' ')}"></polyline>${dots}`;
  });
  return frame(input, axis, html`${lines}`);
}

/** The chart's numbers as a table: its caption is the chart's title; one row per label. */
export function chartTable(input: ChartInput): Html {
  return html`<table class="data chart-table">
<caption>${input.title}${input.unit ? ` (${input.unit})` : ''}</caption>
<thead><tr><th scope="col">Run</th>${input.series.map((series) => html`<th scope="col" class="num">${series.label}</th>`)}</tr></thead>
<tbody>${input.labels.map((label, index) => html`<tr><th scope="row">${label}</th>${input.series.map((series) => html`<td class="num">${num(valueAt(series, index))}</td>`)}</tr>`)}</tbody>
</table>`;
}

/** A legend: the series' labels beside swatches of their colours (the swatches are decoration). */
export function legend(series: readonly Series[]): Html {
  return html`<ul class="legend">${series.map((item) => html`<li><span class="swatch ${seriesClass(item)}" aria-hidden="true"></span>${item.label}</li>`)}</ul>`;
}

interface YAxis {
  readonly max: number;
  readonly ticks: readonly number[];
  y(value: number): number;
}

/** A y axis from 0 to a round maximum at or above `top`, with four or five round steps. */
export function yAxis(top: number): YAxis {
  const step = niceStep(top <= 0 ? 1 : top / 4);
  const max = Math.max(step, Math.ceil(top / step) * step);
  const ticks: number[] = [];
  for (let tick = 0; tick <= max + step / 2; tick += step) ticks.push(tick);
  return { max, ticks, y: (value) => MARGIN.top + PLOT_HEIGHT - (Math.min(value, max) / max) * PLOT_HEIGHT };
}

/** The smallest 1, 2 or 5 times a power of ten that is at least `raw` (whole numbers only: counts and milliseconds). */
export function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  for (const factor of [1, 2, 5, 10]) {
    if (factor * power >= raw) return factor * power;
  }
  return 10 * power;
}

function frame(input: ChartInput, axis: YAxis, marks: Html): Html {
  const titleId = `${input.id}-title`;
  const descId = `${input.id}-desc`;
  const gridlines = axis.ticks.map((tick) => {
    const y = fixed(axis.y(tick));
    return html`<line class="grid" x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y}" y2="${y}"></line><text class="tick" x="${MARGIN.left - 8}" y="${y}" text-anchor="end" dominant-baseline="middle">${formatNumber(tick)}</text>`;
  });
  const every = Math.max(1, Math.ceil(input.labels.length / MAX_X_LABELS));
  const xLabels = input.labels.map((label, index) => {
    if (index % every !== 0) return '';
    const x = fixed(xAt(input, index));
    const y = HEIGHT - MARGIN.bottom + 16;
    return html`<text class="tick" x="${x}" y="${y}" text-anchor="end" transform="rotate(-30 ${x} ${y})">${label}</text>`;
  });
  // On a narrow screen the chart keeps a readable size and scrolls sideways in its own region.
  return html`<div class="chart-scroll" tabindex="0" role="region" aria-label="${input.title}">
<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-labelledby="${titleId} ${descId}" focusable="false">
<title id="${titleId}">${input.title}</title>
<desc id="${descId}">${input.description}</desc>
<g aria-hidden="true">${gridlines}
<line class="axis" x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${MARGIN.top + PLOT_HEIGHT}"></line>
<line class="axis" x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${MARGIN.top + PLOT_HEIGHT}" y2="${MARGIN.top + PLOT_HEIGHT}"></line>
${marks}${xLabels}</g>
</svg></div>`;
}

/** The width of one label's slot on the x axis. */
function slotWidth(input: ChartInput): number {
  return PLOT_WIDTH / Math.max(1, input.labels.length);
}

/** Where label `index` is on the x axis, the middle of its slot: a bar's centre, a line's point and the label under them. */
function xAt(input: ChartInput, index: number): number {
  return MARGIN.left + slotWidth(input) * (index + 0.5);
}

function seriesClass(series: Series): string {
  return `series-${series.key.toLowerCase().replace(/[^a-z-]/g, '')}`;
}

function valueAt(series: Series, index: number): number {
  const value = series.values[index];
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function unitText(input: ChartInput): string {
  return input.unit ? ` ${input.unit}` : '';
}

function fixed(value: number): string {
  return value.toFixed(1);
}

/** 12,345 (en-US grouping): the same digits as the JSON API's numbers, grouped for reading. */
export function formatNumber(value: number): string {
  return value.toLocaleString('en-US');
}

/** A number for reading (grouped) that carries the JSON API's exact value in a <data> element. */
export function num(value: number): Html {
  return html`<data value="${value}">${formatNumber(value)}</data>`;
}
