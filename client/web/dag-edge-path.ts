/** The DAG layout's last stage: an edge's SVG path between its nodes, through its runs. Pure: no DOM. */

/** A node an edge leaves (from its right side) or enters (at its left side): its top-left corner and height. */
interface EdgeEnd {
  x: number;
  y: number;
  height: number;
}

/** A horizontal run of an edge: from `x` to `x + width` at height `y`. */
interface EdgeRun {
  x: number;
  y: number;
  width: number;
}

/**
 * The SVG path of an edge: from the middle of the right side of one node to the middle of the left
 * side of another, as horizontal S-curves between layers and straight runs through the `via` points.
 */
export function edgePath(from: EdgeEnd & { width: number }, to: EdgeEnd, via: readonly EdgeRun[] = []): string {
  let x1 = from.x + from.width;
  let y1 = from.y + from.height / 2;
  let d = `M ${x1} ${y1}`;
  const curve = (x2: number, y2: number): void => {
    const bend = Math.max(24, (x2 - x1) / 2);
    d += ` C ${x1 + bend} ${y1}, ${x2 - bend} ${y2}, ${x2} ${y2}`;
  };
  for (const p of via) {
    curve(p.x, p.y);
    x1 = p.x + p.width;
    y1 = p.y;
    d += ` L ${x1} ${y1}`;
  }
  curve(to.x, to.y + to.height / 2);
  return d;
}
