/**
 * A small chart of one series over the scorer's buckets (oldest first), drawn
 * as inline SVG: no chart library, nothing loaded, and no inline style the
 * Content-Security-Policy would refuse. A bucket without a figure is a gap in
 * the line, not a zero. Rates and scores run from 0 to 1.
 */
import { decimal } from "../format.js";

const WIDTH = 120;
const HEIGHT = 28;
const PAD = 3;

export function Sparkline(props: { label: string; values: readonly (number | undefined)[]; format?: (value: number) => string }) {
  const format = props.format ?? ((value: number) => decimal(value));
  const known = props.values.filter((value): value is number => value !== undefined);
  const summary =
    known.length === 0
      ? `${props.label}: no figures in the window`
      : `${props.label}: latest ${format(known[known.length - 1]!)}, lowest ${format(Math.min(...known))}, highest ${format(Math.max(...known))}, over ${props.values.length} buckets`;
  const step = props.values.length > 1 ? (WIDTH - 2 * PAD) / (props.values.length - 1) : 0;
  const y = (value: number) => PAD + (1 - Math.min(1, Math.max(0, value))) * (HEIGHT - 2 * PAD);
  const points = props.values.map((value, index) => (value === undefined ? undefined : { x: PAD + index * step, y: y(value) }));
  return (
    <svg class="sparkline" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} width={WIDTH} height={HEIGHT} role="img" aria-label={summary}>
      <title>{summary}</title>
      <line class="sparkline-axis" x1={PAD} x2={WIDTH - PAD} y1={HEIGHT - PAD} y2={HEIGHT - PAD} />
      {segments(points).map((segment) =>
        segment.length === 1 ? (
          <circle key={segment[0]!.x} class="sparkline-dot" cx={segment[0]!.x} cy={segment[0]!.y} r={2} />
        ) : (
          <polyline key={segment[0]!.x} class="sparkline-line" points={segment.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(" ")} />
        ),
      )}
    </svg>
  );
}

type Point = { x: number; y: number };

/** Runs of consecutive known points. */
function segments(points: readonly (Point | undefined)[]): Point[][] {
  const runs: Point[][] = [];
  let current: Point[] = [];
  for (const point of points) {
    if (point) current.push(point);
    else if (current.length > 0) {
      runs.push(current);
      current = [];
    }
  }
  if (current.length > 0) runs.push(current);
  return runs;
}
