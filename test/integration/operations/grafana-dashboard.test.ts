import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { testDatabases } from '../../support/databases';
import { exportedNames, parseExposition } from '../../support/prometheus';
import { metricNamesIn } from '../../support/promql';
import { TestServer } from '../../support/test-server';

const DASHBOARD = path.join(__dirname, '..', '..', '..', 'docs', 'grafana-dashboard.json');

interface Panel {
  readonly title?: string;
  readonly type?: string;
  readonly targets?: readonly { readonly expr?: string }[];
  readonly panels?: readonly Panel[];
}

interface Dashboard {
  readonly panels: readonly Panel[];
  readonly templating?: { readonly list: readonly { readonly name: string; readonly query?: string | { readonly query?: string } }[] };
}

/** Every PromQL expression of the dashboard, with where it is: panels (rows' included) and variables. */
function expressionsOf(dashboard: Dashboard): { where: string; expr: string }[] {
  const found: { where: string; expr: string }[] = [];
  const visit = (panels: readonly Panel[]) => {
    for (const panel of panels) {
      for (const target of panel.targets ?? []) if (target.expr) found.push({ where: `panel "${panel.title ?? '?'}"`, expr: target.expr });
      visit(panel.panels ?? []);
    }
  };
  visit(dashboard.panels);
  for (const variable of dashboard.templating?.list ?? []) {
    const query = typeof variable.query === 'string' ? variable.query : variable.query?.query;
    if (query) found.push({ where: `variable $${variable.name}`, expr: query });
  }
  return found;
}

describe('metricNamesIn (the dashboard test\'s PromQL reader)', () => {
  it('finds the metrics of selectors, ranges, aggregations and functions, and nothing else', () => {
    expect(metricNamesIn('histogram_quantile(0.95, sum by (le, route) (rate(a_seconds_bucket{instance=~"$instance"}[$__rate_interval])))'))
      .to.deep.equal(['a_seconds_bucket']);
    expect(metricNamesIn('sum(rate(x_count{status=~"5.."}[5m])) / sum without (job) (rate(y_count[5m])) > bool 0.5'))
      .to.deep.equal(['x_count', 'y_count']);
    expect(metricNamesIn('min(up_gauge) or on (instance) vector(0)')).to.deep.equal(['up_gauge']);
    expect(metricNamesIn('label_values(z_total, instance)')).to.deep.equal(['z_total']);
  });
});

/** docs/grafana-dashboard.json against what a real server exports. */
describe('The Grafana dashboard (docs/grafana-dashboard.json)', () => {
  let server: TestServer;
  let exported: Set<string>;
  let dashboard: Dashboard;

  before(async () => {
    dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
    const [database] = testDatabases();
    if (!database) throw new Error('no test database');
    server = await TestServer.start(await database.fresh());
    const token = await server.token('prometheus', ['Full API Access']);
    const response = await fetch(`${server.running.url}/metrics`, { headers: { Authorization: `Bearer ${token}` } });
    expect(response.status).to.equal(200);
    exported = exportedNames(parseExposition(await response.text()));
  });

  after(async () => {
    await server?.stop();
  });

  it('reads only metrics the server exports, in every panel and variable', () => {
    const expressions = expressionsOf(dashboard);
    expect(expressions.length, 'expressions in the dashboard').to.be.greaterThan(10);
    const unknown = expressions.flatMap(({ where, expr }) => {
      const names = metricNamesIn(expr);
      expect(names, `${where} reads no metric: ${expr}`).to.not.be.empty;
      return names.filter((name) => !exported.has(name)).map((name) => `${where}: ${name}`);
    });
    expect(unknown).to.deep.equal([]);
  });

  it('shows every scimd metric the server exports', () => {
    const read = new Set(expressionsOf(dashboard).flatMap(({ expr }) => metricNamesIn(expr)));
    const family = (name: string) => name.replace(/_(bucket|sum|count)$/, '');
    const shown = new Set([...read].map(family));
    const scimd = [...exported].filter((name) => name.startsWith('scimd_')).map(family);
    expect([...new Set(scimd)].filter((name) => !shown.has(name))).to.deep.equal([]);
  });
});
