/**
 * The /graph page as HTML, rendered on the server so that it works without JavaScript: a form to
 * edit the expression and its range, the expression's result now as a table, and its values
 * over the range as a plot (plot.ts), or the error that kept it from being evaluated. Pure: a
 * view in, HTML out; every piece of text from the request or the data is HTML-escaped.
 */
import { escapeHtml } from '../../notify/receivers/email-body.ts';
import { formatTime, lineStyle } from './plot.ts';

/** One row of the result table: the series (or `scalar`, `string`) and its value(s). */
export interface TableRow {
  readonly series: string;
  /** One value, or a range vector's `value @time` lines. */
  readonly values: readonly string[];
}

/** What the page shows. */
export interface GraphView {
  readonly expr: string;
  /** `g0.tab`: 0 shows the plot first, 1 the table. */
  readonly tab: 0 | 1;
  readonly rangeInput: string;
  /** When the table was evaluated, ms. */
  readonly atMs: number;
  /** A problem with the request or its evaluation; then nothing else is shown. */
  readonly error?: string;
  readonly table?: { readonly resultType: string; readonly rows: readonly TableRow[]; readonly total: number };
  /** The plot and its legend, or why there is none. */
  readonly graph?: { readonly svg: string; readonly legend: readonly string[]; readonly total: number } | { readonly note: string };
}

const STYLE = `form textarea { width: 100%; font: 13px ui-monospace, monospace; box-sizing: border-box; }
form .controls { display: flex; gap: 12px; align-items: center; margin: 6px 0; }
.error { color: var(--bad); white-space: pre-wrap; font-family: ui-monospace, monospace; }
td.series, td.value { font-family: ui-monospace, monospace; font-size: 12px; word-break: break-all; }
td.value { white-space: pre; text-align: right; }
svg.plot { width: 100%; height: auto; display: block; }
svg.plot rect.frame { fill: none; stroke: #8886; }
svg.plot line.grid { stroke: #8884; stroke-dasharray: 2 3; }
svg.plot text { fill: currentColor; font: 12px system-ui, sans-serif; }
svg.plot polyline { stroke-width: 1.5; }
ul.legend { list-style: none; padding: 0; font: 12px ui-monospace, monospace; }
ul.legend li { display: flex; gap: 6px; align-items: center; }
ul.legend .swatch { display: inline-block; width: 18px; height: 0; border-top: 3px solid; flex: none; }`;

/** The whole page. */
export function graphPage(view: GraphView): string {
  const title = view.expr === '' ? 'Sluice · expression' : `Sluice · ${view.expr.length > 60 ? `${view.expr.slice(0, 60)}…` : view.expr}`;
  const sections = [tableSection(view), graphSection(view)];
  if (view.tab === 0) sections.reverse();
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="status-page/status.css">
<style>${STYLE}</style>
</head>
<body>
<header><h1><a href="./">Sluice</a></h1><p class="muted">expression</p></header>
<main>
${form(view)}
${view.error === undefined ? sections.join('\n') : `<section aria-labelledby="error-title"><h2 id="error-title">Error</h2><p class="error" role="alert">${escapeHtml(view.error)}</p></section>`}
</main>
</body>
</html>
`;
}

function form(view: GraphView): string {
  return `<form method="get" action="graph">
<label for="expr">Expression (PromQL)</label>
<textarea id="expr" name="g0.expr" rows="3" spellcheck="false" autocapitalize="off">${escapeHtml(view.expr)}</textarea>
<div class="controls">
<label>Range <input name="g0.range_input" value="${escapeHtml(view.rangeInput)}" size="8"></label>
<label>First <select name="g0.tab"><option value="1"${view.tab === 1 ? ' selected' : ''}>table</option><option value="0"${view.tab === 0 ? ' selected' : ''}>graph</option></select></label>
<button type="submit">Execute</button>
</div>
</form>`;
}

function tableSection(view: GraphView): string {
  const table = view.table;
  if (table === undefined) return '';
  const shown = table.rows.length < table.total ? `<p class="muted">showing the first ${table.rows.length} of ${table.total} series</p>` : '';
  const rows = table.rows.length === 0
    ? '<tr><td colspan="2" class="muted">empty result</td></tr>'
    : table.rows.map((r) => `<tr><td class="series">${escapeHtml(r.series)}</td><td class="value">${escapeHtml(r.values.join('\n'))}</td></tr>`).join('\n');
  return `<section aria-labelledby="table-title">
<h2 id="table-title">Table <span class="muted">(${escapeHtml(table.resultType)} at ${formatTime(view.atMs)})</span></h2>
${shown}<table id="result">
<thead><tr><th>series</th><th>value</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</section>`;
}

function graphSection(view: GraphView): string {
  const graph = view.graph;
  if (graph === undefined) return '';
  if ('note' in graph) return `<section aria-labelledby="graph-title"><h2 id="graph-title">Graph</h2><p class="muted">${escapeHtml(graph.note)}</p></section>`;
  const shown = graph.legend.length < graph.total ? `<p class="muted">showing ${graph.legend.length} of ${graph.total} series</p>` : '';
  const legend = graph.legend.map((label, i) => {
    const { color, dashed } = lineStyle(i);
    return `<li><span class="swatch" style="border-color: ${color}${dashed ? '; border-top-style: dashed' : ''}"></span>${escapeHtml(label)}</li>`;
  }).join('\n');
  return `<section aria-labelledby="graph-title">
<h2 id="graph-title">Graph <span class="muted">(last ${escapeHtml(view.rangeInput)})</span></h2>
${shown}${graph.svg}
<ul class="legend">
${legend}
</ul>
</section>`;
}
