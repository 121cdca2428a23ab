/** The parts of a committed dashboard JSON the tests read. */
export interface DashboardFile {
  uid: string;
  title: string;
  editable: boolean;
  templating: { list: Array<{ name: string; type: string; query: unknown; multi?: boolean; includeAll?: boolean; allValue?: string; datasource?: { uid: string } }> };
  panels: Array<{
    type: string;
    title: string;
    description: string;
    datasource: { uid: string };
    fieldConfig: { defaults: { unit: string } };
    targets: Array<{ expr: string; datasource: { uid: string } }>;
  }>;
}

export function dashboardTargets(d: DashboardFile): Array<{ panel: string; expr: string }> {
  return d.panels.filter((p) => p.type !== 'row').flatMap((p) => p.targets.map((t) => ({ panel: p.title, expr: t.expr })));
}

/** A panel query as Grafana sends it with every variable at "All" and a short rate window. */
export function asQuery(expr: string, rateInterval = '10s'): string {
  return expr.replaceAll('$job', '.+').replaceAll('$instance', '.+').replaceAll('$port', '.+').replaceAll('$__rate_interval', rateInterval);
}
