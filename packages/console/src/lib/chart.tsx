// A live time-series chart on uPlot (small, canvas, no inline styles in the HTML): pass the data and
// it redraws in place when the data change.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Series {
  label: string;
  color: string;
}

export interface ChartProps {
  title: string;
  /** x: seconds since epoch; ys: one array per series, same length as x. */
  x: number[];
  ys: number[][];
  series: Series[];
  height?: number;
}

export function TimeChart({ title, x, ys, series, height = 180 }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const key = series.map((s) => s.label).join('|');
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const width = Math.max(240, el.clientWidth || 600);
    plot.current = new uPlot(
      {
        width,
        height,
        series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2 }))],
        axes: [{}, { size: 48 }],
        scales: { x: { time: true } },
      },
      [x, ...ys],
      el,
    );
    const ro = new ResizeObserver(() =>
      plot.current?.setSize({ width: Math.max(240, el.clientWidth), height }),
    );
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [key, height]);
  useEffect(() => {
    plot.current?.setData([x, ...ys]);
  }, [x, ys]);
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <div ref={box} role="img" aria-label={title} />
    </figure>
  );
}
