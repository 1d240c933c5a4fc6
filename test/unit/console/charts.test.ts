import { expect } from 'chai';
import { barChart, chartTable, legend, lineChart, niceStep, num, yAxis, type ChartInput } from '../../../src/console/charts';

const input: ChartInput = {
  id: 'c1', title: 'What <runs> did', description: 'Created & errors per run',
  labels: ['11-01 02:00', '11-02 02:00', '11-03 <02:00>'],
  series: [
    { key: 'created', label: 'Created', values: [3, 0, 12] },
    { key: 'errors', label: 'Errors', values: [1, 2, 0] },
  ],
};

/** The numbers of the y axis' tick labels, in order. */
function ticks(svg: string): number[] {
  return [...svg.matchAll(/<text class="tick" x="[\d.]+" y="[\d.]+" text-anchor="end" dominant-baseline="middle">([\d,]+)<\/text>/g)]
    .map((match) => Number((match[1] ?? '').replaceAll(',', '')));
}

describe('console charts', () => {
  describe('niceStep() and yAxis()', () => {
    it('steps by 1, 2 or 5 times a power of ten', () => {
      expect([0.3, 1, 3, 7, 12, 26, 180, 4_100].map(niceStep)).to.deep.equal([1, 1, 5, 10, 20, 50, 200, 5_000]);
    });

    it('runs from 0 to a round maximum at or above the largest value', () => {
      const axis = yAxis(13);
      expect(axis.ticks).to.deep.equal([0, 5, 10, 15]);
      expect(axis.max).to.equal(15);
      expect(yAxis(0).ticks).to.deep.equal([0, 1]);
      expect(yAxis(100_000).ticks.at(-1)).to.equal(100_000);
    });
  });

  describe('barChart()', () => {
    const svg = barChart(input).text;

    it('is an image named by its title and description', () => {
      expect(svg).to.match(/^<div class="chart-scroll" tabindex="0" role="region" aria-label="What &lt;runs&gt; did">\n<svg class="chart" viewBox="0 0 720 260" role="img" aria-labelledby="c1-title c1-desc"/);
      expect(svg).to.contain('<title id="c1-title">What &lt;runs&gt; did</title>');
      expect(svg).to.contain('<desc id="c1-desc">Created &amp; errors per run</desc>');
    });

    it('draws one segment per non-zero value, coloured by series class, with the value in its tooltip', () => {
      const rects = [...svg.matchAll(/<rect class="(series-[a-z]+)"/g)].map((match) => match[1]);
      expect(rects).to.deep.equal(['series-created', 'series-errors', 'series-errors', 'series-created']);
      expect(svg).to.contain('<title>11-03 &lt;02:00&gt;: Created 12</title>');
    });

    it('labels the y axis from 0 past the tallest stack (12)', () => {
      expect(ticks(svg)).to.deep.equal([0, 5, 10, 15]);
    });

    it('stacks: the bar of 3 created and 1 error is as tall as 4 on the axis', () => {
      const heights = [...svg.matchAll(/<rect class="series-[a-z]+" x="[\d.]+" y="[\d.]+" width="[\d.]+" height="([\d.]+)"/g)]
        .map((match) => Number(match[1]));
      const perUnit = (heights[0] ?? 0) / 3;
      expect(heights[1]).to.be.closeTo(perUnit, 0.2);
      expect(heights[3]).to.be.closeTo(perUnit * 12, 0.2);
    });

    it('has no inline style (the Content-Security-Policy forbids it)', () => {
      expect(svg).not.to.match(/style=/);
    });
  });

  describe('lineChart()', () => {
    it('draws a polyline per series through every label, and a dot per value', () => {
      const svg = lineChart(input).text;
      const polylines = [...svg.matchAll(/<polyline class="line (series-[a-z]+)" points="([^"]+)"/g)];
      expect(polylines.map((match) => match[1])).to.deep.equal(['series-created', 'series-errors']);
      expect((polylines[0]?.[2] ?? '').split(' ')).to.have.length(3);
      expect([...svg.matchAll(/<circle /g)]).to.have.length(6);
    });

    it('writes each x label under its point, as the bar chart writes it under its bar', () => {
      const labelX = (svg: string) => [...svg.matchAll(/<text class="tick" x="([\d.]+)" y="[\d.]+" text-anchor="end" transform=/g)].map((match) => Number(match[1]));
      const line = lineChart(input).text;
      const dots = [...line.matchAll(/<circle class="series-created" cx="([\d.]+)"/g)].map((match) => Number(match[1]));
      const bars = barChart(input).text;
      const barCentres = [...bars.matchAll(/<rect class="series-errors" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"/g)]
        .map((match) => Number(match[1]) + Number(match[2]) / 2);
      expect(labelX(line)).to.deep.equal(dots);
      expect(labelX(bars)).to.deep.equal(labelX(line));
      // The errors' bars are those of the first two labels (the third has none).
      expect(barCentres).to.have.length(2);
      barCentres.forEach((centre, index) => expect(centre).to.be.closeTo(labelX(bars)[index] ?? -1, 0.2));
    });
  });

  describe('chartTable()', () => {
    it('holds the same numbers, one row per label, captioned by the title', () => {
      const table = chartTable(input).text;
      expect(table).to.contain('<caption>What &lt;runs&gt; did</caption>');
      const rows = [...table.matchAll(/<tr><th scope="row">([^<]+)<\/th>(.*?)<\/tr>/g)]
        .map((match) => [match[1], [...(match[2] ?? '').matchAll(/<data value="(\d+)">/g)].map((cell) => Number(cell[1]))]);
      expect(rows).to.deep.equal([['11-01 02:00', [3, 1]], ['11-02 02:00', [0, 2]], ['11-03 &lt;02:00&gt;', [12, 0]]]);
    });
  });

  describe('legend() and num()', () => {
    it('names each series beside a decorative swatch', () => {
      expect(legend(input.series).text).to.equal('<ul class="legend"><li><span class="swatch series-created" aria-hidden="true"></span>Created</li>'
        + '<li><span class="swatch series-errors" aria-hidden="true"></span>Errors</li></ul>');
    });

    it('groups digits for reading and keeps the exact value for machines', () => {
      expect(num(100000).text).to.equal('<data value="100000">100,000</data>');
    });
  });
});
