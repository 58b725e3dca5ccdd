// @ts-check
/**
 * The topology picture drawn as SVG from its layout (see ./layout.js): sub-topology boxes, edges (arrows for records,
 * dashed lines between processors and their stores), and nodes shaped by kind, each with slots for its live numbers.
 */
import { NODE_W, ROW_GAP } from './layout.js';

/** @typedef {import('./layout.js').GraphNode} GraphNode */
/** @typedef {import('./layout.js').Layout} Layout */
/** @typedef {import('./layout.js').PlacedNode} PlacedNode */

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * @param {string} tag
 * @param {Record<string, string | number>} [attributes]
 * @param {string} [text]
 * @returns {SVGElement}
 */
function svg(tag, attributes = {}, text) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attributes)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** The outline of a node of `kind` in a w x h box at the origin. */
function shape(/** @type {GraphNode['kind']} */ kind, /** @type {number} */ w, /** @type {number} */ h) {
  switch (kind) {
    case 'source':
      return svg('rect', { class: 'shape', width: w, height: h, rx: h / 2 });
    case 'sink':
      return svg('path', { class: 'shape', d: `M0 0 H${w} L${w - 12} ${h} H12 Z` });
    case 'topic':
      return svg('path', { class: 'shape', d: `M12 0 H${w} L${w - 12} ${h} H0 Z` });
    case 'store':
      return svg('path', { class: 'shape', d: `M0 6 A${w / 2} 6 0 0 1 ${w} 6 V${h - 6} A${w / 2} 6 0 0 1 0 ${h - 6} Z M0 6 A${w / 2} 6 0 0 0 ${w} 6` });
    default:
      return svg('rect', { class: 'shape', width: w, height: h, rx: 4 });
  }
}

/** The label cut in the middle to fit a node (monospace, about 6.6 px a character at 11 px): both ends tell most. */
function fit(/** @type {string} */ label) {
  const max = Math.floor((NODE_W - 24) / 6.6);
  if (label.length <= max) return label;
  const head = Math.ceil((max - 1) / 2);
  return `${label.slice(0, head)}…${label.slice(label.length - (max - 1 - head))}`;
}

/** The data-testid of a node's group: `node-<name>` for sources, processors and sinks, else `<kind>-<name>`. */
export function nodeTestId(/** @type {GraphNode} */ node) {
  return node.kind === 'store' || node.kind === 'topic' ? `${node.kind}-${node.label}` : `node-${node.label}`;
}

/**
 * The live value slots of one drawn node, filled by the poller. `role` tells topics apart: `input` (read, written by
 * no node here), `internal` (written and read here: a repartition topic), `output` (only written); a source reading
 * an input topic is `input` too, every other node `internal`.
 * @typedef {{ node: GraphNode, role: 'input' | 'internal' | 'output', group: SVGElement, primary: SVGElement, secondary: SVGElement | null }} NodeView
 */

/**
 * Sizes the drawing to `availableWidth` pixels: scaled down to fit, but not below half size (then it scrolls), and
 * never up.
 * @param {SVGSVGElement} root
 * @param {{ width: number, height: number }} layout
 * @param {number} availableWidth
 */
export function fitGraph(root, layout, availableWidth) {
  const scale = Math.max(0.5, Math.min(1, availableWidth / layout.width));
  root.style.width = `${Math.floor(layout.width * scale)}px`;
  root.style.height = `${Math.floor(layout.height * scale)}px`;
}

/**
 * Draws the layout into `root` (replacing what it held) and returns each node's view, by node id.
 * @param {SVGSVGElement} root
 * @param {Layout} layout
 * @returns {Map<string, NodeView>}
 */
export function renderGraph(root, layout) {
  root.replaceChildren();
  root.setAttribute('width', String(layout.width));
  root.setAttribute('height', String(layout.height));
  root.setAttribute('viewBox', `0 0 ${layout.width} ${layout.height}`);
  const defs = svg('defs');
  const marker = svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
  marker.append(svg('path', { d: 'M0 0 L10 5 L0 10 Z', class: 'arrow-head' }));
  defs.append(marker);
  root.append(defs);

  for (const box of layout.boxes) {
    const g = svg('g', { class: `subtopology${box.sub.isGlobal === true ? ' global' : ''}`, 'data-testid': `subtopology-${box.sub.id}` });
    g.append(svg('rect', { x: box.x, y: box.y, width: box.w, height: box.h, rx: 8 }));
    g.append(svg('text', { x: box.x + 10, y: box.y + 16, class: 'box-title' }, box.sub.isGlobal === true ? `Global store ${box.sub.id}` : `Sub-topology ${box.sub.id}`));
    root.append(g);
  }

  const edgeLayer = svg('g', { class: 'edges' });
  for (const e of layout.edges) {
    const a = /** @type {PlacedNode} */ (layout.nodes.get(e.from));
    const b = /** @type {PlacedNode} */ (layout.nodes.get(e.to));
    if (a === undefined || b === undefined) continue;
    let d;
    if (e.kind === 'store' || Math.abs(a.y - b.y) < 1) {
      const [l, r] = a.x <= b.x ? [a, b] : [b, a];
      const isBlocked = [...layout.nodes.values()].some((n) => Math.abs(n.y - l.y) < 1 && n.x > l.x && n.x < r.x);
      if (isBlocked) {
        // Another node lies between them on the row: dip under it.
        const dip = l.y + l.h + ROW_GAP * 0.7;
        d = `M${l.x + l.w / 2} ${l.y + l.h} C${l.x + l.w / 2} ${dip} ${r.x + r.w / 2} ${dip} ${r.x + r.w / 2} ${r.y + r.h}`;
      } else {
        // Side by side: the nearer sides, straight.
        d = `M${l.x + l.w} ${l.y + l.h / 2} L${r.x} ${r.y + r.h / 2}`;
      }
    } else if (b.y > a.y) {
      const x1 = a.x + a.w / 2;
      const y1 = a.y + a.h;
      const x2 = b.x + b.w / 2;
      const y2 = b.y;
      const bend = Math.max(20, (y2 - y1) / 2);
      d = `M${x1} ${y1} C${x1} ${y1 + bend} ${x2} ${y2 - bend} ${x2} ${y2}`;
    } else {
      // Upwards (a cycle through topics): around the right side.
      const x1 = a.x + a.w;
      const x2 = b.x + b.w;
      d = `M${x1} ${a.y + a.h / 2} C${x1 + 60} ${a.y + a.h / 2} ${x2 + 60} ${b.y + b.h / 2} ${x2} ${b.y + b.h / 2}`;
    }
    const path = svg('path', { d, class: `edge ${e.kind === 'store' ? 'store-edge' : 'flow-edge'}`, 'data-from': e.from, 'data-to': e.to });
    if (e.kind !== 'store') path.setAttribute('marker-end', 'url(#arrow)');
    edgeLayer.append(path);
  }
  root.append(edgeLayer);

  /** @type {Set<string>} */
  const written = new Set();
  /** @type {Set<string>} */
  const read = new Set();
  for (const e of layout.edges) {
    if (e.kind === 'store') continue;
    written.add(e.to);
    read.add(e.from);
  }
  /** @type {(id: string, node: GraphNode) => NodeView['role']} */
  const roleOf = (id, node) => {
    if (node.kind === 'topic') return !written.has(id) ? 'input' : read.has(id) ? 'internal' : 'output';
    if (node.kind !== 'source') return 'internal';
    const inputs = layout.edges.filter((e) => e.to === id && e.kind !== 'store').map((e) => e.from);
    return inputs.some((t) => !written.has(t)) ? 'input' : 'internal';
  };

  /** @type {Map<string, NodeView>} */
  const views = new Map();
  for (const [id, p] of layout.nodes) {
    const role = roleOf(id, p.node);
    const g = svg('g', {
      class: `node kind-${p.node.kind} role-${role}`,
      transform: `translate(${p.x} ${p.y})`,
      'data-testid': nodeTestId(p.node),
      'data-node-id': id,
      'data-kind': p.node.kind,
      'data-role': role,
    });
    g.append(svg('title', {}, `${p.node.kind}: ${p.node.label}`));
    g.append(shape(p.node.kind, p.w, p.h));
    g.append(svg('text', { x: p.w / 2, y: 19, class: 'label' }, fit(p.node.label)));
    const value = svg('text', { x: p.w / 2, y: 37, class: 'value' });
    const unit = (/** @type {string} */ text) => svg('tspan', { class: 'unit' }, text);
    const slot = (/** @type {string} */ prefix) => svg('tspan', { 'data-testid': `${prefix}-${p.node.label}` }, '—');
    /** @type {SVGElement} */
    let primary;
    let secondary = null;
    if (p.node.kind === 'topic' && role === 'output') value.append((primary = slot('topic-rate')), unit(' rec/s written'));
    else if (p.node.kind === 'topic') value.append(unit('lag '), (primary = slot('topic-lag')));
    else if (p.node.kind === 'store') value.append((primary = slot('store-size')), unit(' keys'));
    else value.append((primary = slot('throughput')), unit(' rec/s · '), (secondary = slot('processed')), unit(' total'));
    g.append(value);
    root.append(g);
    views.set(id, { node: p.node, role, group: g, primary, secondary });
  }
  return views;
}
