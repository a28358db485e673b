/**
 * A time-series chart drawn with uPlot (bundled from npm, nothing fetched at run time). Takes uPlot's
 * column data ([times in seconds, series…]); the plot is made once per set of series and then only gets
 * new data, and follows its box's width. The figure's caption names what is drawn and the latest values,
 * so the numbers are there for those who cannot see the canvas.
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './cluster.css';

export interface ChartSeries {
  label: string;
  color: string;
}

export interface ChartProps {
  title: string;
  /** unit of the y axis, shown in the caption and the axis values: '%', 'MiB', 'req/s' */
  unit: string;
  series: ChartSeries[];
  data: [number[], ...Array<Array<number | null>>];
  height?: number;
}

/** uPlot spans a lone sample over years: give it a minute before it, with no values, to stand in. */
function withContext(data: ChartProps['data']): ChartProps['data'] {
  if (data[0].length !== 1) return data;
  const t = data[0][0];
  return [[t - 60, t], ...data.slice(1).map((s) => [null, s[0]])];
}

const two = (n: number) => String(n).padStart(2, '0');

/** `21:28`, `21:28:15`: a tick's time of day, seconds only when it has some */
export function clockTime(seconds: number): string {
  const d = new Date(seconds * 1000);
  return `${two(d.getHours())}:${two(d.getMinutes())}${d.getSeconds() ? `:${two(d.getSeconds())}` : ''}`;
}

export function Chart({ title, unit, series, data: given, height = 170 }: ChartProps) {
  const data = withContext(given);
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const seriesKey = series.map((s) => `${s.label}:${s.color}`).join('|');

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      legend: { show: true, live: false },
      // one sample (or none) would make uPlot span years around it: show the last minute instead
      scales: { x: { time: true, range: (_u, min, max) => (min == null || max == null || max - min < 60 ? [(max ?? Date.now() / 1000) - 60, max ?? Date.now() / 1000] : [min, max]) }, y: { range: (_u, _min, max) => [0, unit === '%' ? Math.max(100, max ?? 0) : Math.max(1, (max ?? 0) * 1.15)] } },
      // the clock only: uPlot's default puts a date under the first tick of each minute, and two such dates
      // overlapped on a 10-minute chart
      axes: [{ values: (_u, ticks) => ticks.map(clockTime), space: 60 }, { values: (_u, ticks) => ticks.map((t) => `${t}${unit === '%' ? '%' : ''}`), size: 50 }],
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, spanGaps: true, value: (_u: uPlot, v: number | null) => (v == null ? '–' : `${v} ${unit}`) }))],
    };
    const u = new uPlot(opts, data as uPlot.AlignedData, el);
    plot.current = u;
    const ro = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
    // made anew only when the series change; data goes in below
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [seriesKey, height, unit]);

  useEffect(() => {
    plot.current?.setData(data as uPlot.AlignedData);
  }, [data]);

  const points = given[0].length;
  const latest = series.map((s, i) => `${s.label} ${given[i + 1]?.[points - 1] ?? '–'} ${unit}`).join(', ');
  return (
    <figure className="chart" data-points={points} data-chart={title}>
      <h3>{title}</h3>
      <div className="plot" ref={box} />
      <figcaption className="muted">{points === 0 ? 'Waiting for the first samples…' : `Latest: ${latest} (${points} sample${points === 1 ? "" : "s"})`}</figcaption>
    </figure>
  );
}
