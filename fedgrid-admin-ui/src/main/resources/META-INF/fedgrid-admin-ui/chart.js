// Line charts as plain SVG: one chart per metric (loss, accuracy), one line per series (the nodes'
// evaluation, their training), x = round. Scales are linear; the y axis gets about five "nice"
// ticks (1, 2 or 5 times a power of ten). Each point is a <circle class="point"> with a <title>
// tooltip, so the values can be read and the chart can be tested.
const NS = 'http://www.w3.org/2000/svg';

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  for (const c of children) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

/** About `count` round tick values covering [lo, hi]. */
export function niceTicks(lo, hi, count = 5) {
  if (!(hi > lo)) { const pad = Math.abs(lo) * 0.1 || 1; lo -= pad; hi += pad; }
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map(m => m * power).find(st => st >= raw);
  const ticks = [];
  for (let v = Math.floor(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1] < hi) ticks.push(Number((ticks[ticks.length - 1] + step).toPrecision(12)));
  return ticks;
}

function label(v) {
  const a = Math.abs(v);
  return a !== 0 && (a < 0.001 || a >= 1e5) ? v.toExponential(1) : String(Number(v.toPrecision(4)));
}

/**
 * Draws a line chart.
 *
 * @param options title, series [{name, points: [{x, y}]}] (non-finite y are left out), xLabel,
 *     width and height of the drawing in SVG units (it scales to its container)
 * @returns an <svg> element
 */
export function lineChart({ title, series, xLabel = 'round', width = 480, height = 240 }) {
  const pad = { left: 52, right: 16, top: 36, bottom: 40 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const clean = series.map((sr, i) => ({ ...sr, index: i, points: sr.points.filter(p => Number.isFinite(p.x) && Number.isFinite(p.y)) }))
    .filter(sr => sr.points.length);
  const svg = s('svg', { class: 'chart', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': title });
  svg.append(s('title', {}, title));
  svg.append(s('text', { class: 'chart-title', x: pad.left, y: 18 }, title));
  if (!clean.length) {
    svg.append(s('text', { class: 'chart-empty', x: width / 2, y: height / 2, 'text-anchor': 'middle' }, 'no rounds yet'));
    return svg;
  }
  const all = clean.flatMap(sr => sr.points);
  const xs = all.map(p => p.x);
  const yTicks = niceTicks(Math.min(...all.map(p => p.y)), Math.max(...all.map(p => p.y)));
  const [yLo, yHi] = [yTicks[0], yTicks[yTicks.length - 1]];
  let [xLo, xHi] = [Math.min(...xs), Math.max(...xs)];
  if (xHi === xLo) { xLo -= 1; xHi += 1; }
  const X = x => pad.left + ((x - xLo) / (xHi - xLo)) * plotW;
  const Y = y => pad.top + plotH - ((y - yLo) / (yHi - yLo)) * plotH;

  const grid = s('g', { class: 'chart-grid' });
  for (const t of yTicks) {
    grid.append(s('line', { x1: pad.left, x2: pad.left + plotW, y1: Y(t), y2: Y(t) }));
    grid.append(s('text', { class: 'tick', x: pad.left - 6, y: Y(t) + 4, 'text-anchor': 'end' }, label(t)));
  }
  const xStep = Math.max(1, Math.ceil((xHi - xLo) / 10));
  for (let x = Math.ceil(xLo); x <= xHi; x += xStep) {
    grid.append(s('text', { class: 'tick', x: X(x), y: pad.top + plotH + 16, 'text-anchor': 'middle' }, x));
  }
  grid.append(s('line', { class: 'axis', x1: pad.left, x2: pad.left + plotW, y1: pad.top + plotH, y2: pad.top + plotH }));
  grid.append(s('text', { class: 'axis-label', x: pad.left + plotW / 2, y: height - 6, 'text-anchor': 'middle' }, xLabel));
  svg.append(grid);

  const legend = s('g', { class: 'chart-legend' });
  let lx = width - pad.right;
  for (const sr of [...clean].reverse()) {
    const text = s('text', { x: lx, y: 18, 'text-anchor': 'end', class: `series-${sr.index}` }, sr.name);
    legend.append(text);
    lx -= sr.name.length * 7 + 22;
  }
  svg.append(legend);

  for (const sr of clean) {
    const g = s('g', { class: `series series-${sr.index}`, 'data-series': sr.name });
    const pts = [...sr.points].sort((a, b) => a.x - b.x);
    g.append(s('polyline', { points: pts.map(p => `${X(p.x).toFixed(1)},${Y(p.y).toFixed(1)}`).join(' ') }));
    for (const p of pts) {
      g.append(s('circle', { class: 'point', cx: X(p.x).toFixed(1), cy: Y(p.y).toFixed(1), r: 3 },
        s('title', {}, `${sr.name}, ${xLabel} ${p.x}: ${label(p.y)}`)));
    }
    svg.append(g);
  }
  return svg;
}

/**
 * The per-round series of one metric from the rounds of a job: the nodes' evaluation of the
 * aggregated model and the training metrics they reported.
 */
export function metricSeries(rounds, metric) {
  const pick = key => rounds.filter(r => r[key] && Number.isFinite(r[key][metric])).map(r => ({ x: r.round, y: r[key][metric] }));
  return [
    { name: `evaluation ${metric}`, points: pick('evalMetrics') },
    { name: `training ${metric}`, points: pick('fitMetrics') },
  ];
}
