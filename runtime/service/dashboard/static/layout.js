// @ts-check
/**
 * The topology picture's layout: where each node of the graph from /api/topology (see runtime/service/topology-graph.ts)
 * goes. Sub-topologies are boxes in levels: a sub-topology reading a topic another one writes sits a level
 * below it. Inside a box, nodes are in rows by dataflow depth, stores in a lane on the right beside the processor
 * using them. A topic sits above the source reading it (so a repartition topic lies between the level writing it and
 * the level reading it), or below the sink writing it when nothing here reads it.
 */

/**
 * @typedef {{ id: string, kind: 'source' | 'processor' | 'sink' | 'store' | 'topic', label: string }} GraphNode
 * @typedef {{ id: number, isGlobal?: boolean, nodes: GraphNode[] }} GraphSubtopology
 * @typedef {{ from: string, to: string, kind?: 'flow' | 'store' }} GraphEdge
 * @typedef {{ subtopologies: GraphSubtopology[], topics?: GraphNode[], edges: GraphEdge[] }} Graph
 * @typedef {{ node: GraphNode, x: number, y: number, w: number, h: number }} PlacedNode
 * @typedef {{ sub: GraphSubtopology, x: number, y: number, w: number, h: number }} PlacedBox
 * @typedef {{ width: number, height: number, boxes: PlacedBox[], nodes: Map<string, PlacedNode>, edges: GraphEdge[] }} Layout
 */

export const NODE_W = 240;
export const NODE_H = 48;
const GAP_X = 28;
export const ROW_GAP = 30;
const BOX_PAD = 14;
const BOX_TITLE = 22;
const COL_GAP = 40;
const MARGIN = 16;
/** Height of the band holding topics above or below a sub-topology box. */
const TOPIC_BAND = NODE_H + 2 * ROW_GAP;

/**
 * Rows of one sub-topology: the longest path from its sources gives a node's row (Kahn's order over the edges
 * inside it); a row keeps the description's order, then one barycentre pass under the parents reduces crossings;
 * stores go in a lane on the right, each on the row of the first processor using it.
 * @param {GraphSubtopology} sub
 * @param {Map<string, string[]>} flowOut
 * @param {Map<string, string[]>} storeUsers
 * @returns {{ rows: string[][], lane: string[][] }}
 */
function subtopologyRows(sub, flowOut, storeUsers) {
  const members = sub.nodes.filter((n) => n.kind !== 'store').map((n) => n.id);
  const inSub = new Set(members);
  /** @type {Map<string, number>} */
  const indegree = new Map(members.map((id) => [id, 0]));
  /** @type {Map<string, string[]>} */
  const parents = new Map(members.map((id) => [id, []]));
  for (const id of members) {
    for (const child of flowOut.get(id) ?? []) {
      if (!inSub.has(child)) continue;
      indegree.set(child, (indegree.get(child) ?? 0) + 1);
      parents.get(child)?.push(id);
    }
  }
  /** @type {Map<string, number>} */
  const layer = new Map();
  const queue = members.filter((id) => indegree.get(id) === 0);
  for (const id of queue) layer.set(id, 0);
  for (let i = 0; i < queue.length; i++) {
    const id = /** @type {string} */ (queue[i]);
    for (const child of flowOut.get(id) ?? []) {
      if (!inSub.has(child)) continue;
      layer.set(child, Math.max(layer.get(child) ?? 0, (layer.get(id) ?? 0) + 1));
      const left = (indegree.get(child) ?? 1) - 1;
      indegree.set(child, left);
      if (left === 0) queue.push(child);
    }
  }
  // A cycle (never in a valid topology) leaves nodes unplaced: put them in a last row rather than lose them.
  const deepest = Math.max(0, ...layer.values());
  for (const id of members) if (!layer.has(id)) layer.set(id, deepest + 1);

  /** @type {string[][]} */
  const rows = [];
  for (const id of members) {
    const r = /** @type {number} */ (layer.get(id));
    while (rows.length <= r) rows.push([]);
    /** @type {string[]} */ (rows[r]).push(id);
  }
  /** @type {Map<string, number>} */
  const slot = new Map();
  rows.forEach((row, r) => {
    if (r > 0) {
      const centre = (/** @type {string} */ id) => {
        const ps = (parents.get(id) ?? []).map((p) => slot.get(p)).filter((s) => s !== undefined);
        return ps.length === 0 ? Number.POSITIVE_INFINITY : ps.reduce((a, b) => a + b, 0) / ps.length;
      };
      const keyed = row.map((id, i) => ({ id, i, key: centre(id) }));
      keyed.sort((a, b) => a.key - b.key || a.i - b.i);
      row.splice(0, row.length, ...keyed.map((k) => k.id));
    }
    row.forEach((id, i) => slot.set(id, i - (row.length - 1) / 2));
  });

  // Stores go in a lane right of the nodes, on the row of the first processor using them.
  /** @type {string[][]} */
  const lane = rows.map(() => []);
  for (const store of sub.nodes.filter((n) => n.kind === 'store')) {
    const users = (storeUsers.get(store.id) ?? []).filter((u) => inSub.has(u));
    users.sort((a, b) => (layer.get(a) ?? 0) - (layer.get(b) ?? 0));
    const r = users[0] === undefined ? 0 : (layer.get(users[0]) ?? 0);
    (lane[r] ?? (lane[r] = [])).push(store.id);
  }
  return { rows, lane };
}

/**
 * Places every node of the graph. Pure: the same graph gives the same layout.
 * @param {Graph} graph
 * @returns {Layout}
 */
export function layoutGraph(graph) {
  /** @type {Map<string, GraphNode>} */
  const byId = new Map();
  /** @type {Map<string, GraphSubtopology>} */
  const subOf = new Map();
  for (const sub of graph.subtopologies) {
    for (const n of sub.nodes) {
      byId.set(n.id, n);
      subOf.set(n.id, sub);
    }
  }
  for (const t of graph.topics ?? []) byId.set(t.id, t);
  /** @type {Map<string, string[]>} */
  const flowOut = new Map();
  /** @type {Map<string, string[]>} */
  const flowIn = new Map();
  /** @type {Map<string, string[]>} */
  const storeUsers = new Map();
  const edges = graph.edges.filter((e) => byId.has(e.from) && byId.has(e.to));
  const push = (/** @type {Map<string, string[]>} */ m, /** @type {string} */ k, /** @type {string} */ v) => {
    const list = m.get(k);
    if (list === undefined) m.set(k, [v]);
    else list.push(v);
  };
  for (const e of edges) {
    if (e.kind === 'store') push(storeUsers, e.to, e.from);
    else {
      push(flowOut, e.from, e.to);
      push(flowIn, e.to, e.from);
    }
  }

  // Each sub-topology: its rows, and node positions relative to its box.
  const subs = graph.subtopologies.map((sub) => {
    const { rows, lane } = subtopologyRows(sub, flowOut, storeUsers);
    const widest = Math.max(1, ...rows.map((r) => r.length));
    const mainW = widest * NODE_W + (widest - 1) * GAP_X;
    const laneCount = Math.max(0, ...lane.map((r) => r.length));
    const w = mainW + laneCount * (NODE_W + GAP_X) + 2 * BOX_PAD;
    const rowCount = Math.max(1, rows.length, lane.length);
    const h = BOX_TITLE + 2 * BOX_PAD + rowCount * NODE_H + (rowCount - 1) * ROW_GAP;
    /** @type {Map<string, { x: number, y: number }>} */
    const relative = new Map();
    const rowY = (/** @type {number} */ r) => BOX_TITLE + BOX_PAD + r * (NODE_H + ROW_GAP);
    rows.forEach((row, r) => {
      const rowW = row.length * NODE_W + (row.length - 1) * GAP_X;
      row.forEach((id, i) => relative.set(id, { x: BOX_PAD + (mainW - rowW) / 2 + i * (NODE_W + GAP_X), y: rowY(r) }));
    });
    lane.forEach((stores, r) => {
      stores.forEach((id, i) => relative.set(id, { x: BOX_PAD + mainW + GAP_X + i * (NODE_W + GAP_X), y: rowY(r) }));
    });
    return { sub, w, h, relative, slotW: w, level: 0 };
  });
  const subIndex = new Map(subs.map((s, i) => [s.sub, i]));
  const subIndexOf = (/** @type {string} */ id) => subIndex.get(/** @type {GraphSubtopology} */ (subOf.get(id)));

  // Levels: a sub-topology goes one level below every sub-topology feeding it through a topic.
  /** @type {Map<number, Set<number>>} */
  const upstream = new Map();
  for (const topic of graph.topics ?? []) {
    for (const reader of flowOut.get(topic.id) ?? []) {
      const to = subIndexOf(reader);
      for (const writer of flowIn.get(topic.id) ?? []) {
        const from = subIndexOf(writer);
        if (to === undefined || from === undefined || to === from) continue;
        let set = upstream.get(to);
        if (set === undefined) upstream.set(to, (set = new Set()));
        set.add(from);
      }
    }
  }
  /** @type {Map<number, number>} */
  const levels = new Map();
  /** @type {Set<number>} */
  const visiting = new Set();
  const levelOf = (/** @type {number} */ i) => {
    const known = levels.get(i);
    if (known !== undefined) return known;
    visiting.add(i);
    let level = 0;
    // A cycle between sub-topologies: the edge closing it is ignored.
    for (const from of upstream.get(i) ?? []) if (!visiting.has(from)) level = Math.max(level, levelOf(from) + 1);
    visiting.delete(i);
    levels.set(i, level);
    return level;
  };
  subs.forEach((s, i) => (s.level = levelOf(i)));

  // Topic rows: row k lies above level k. A topic sits above the first source reading it, else below its writer.
  /** @type {{ id: string, row: number, ends: string[], sub: number | undefined }[]} */
  const topics = (graph.topics ?? []).map((topic) => {
    const readers = flowOut.get(topic.id) ?? [];
    const writers = flowIn.get(topic.id) ?? [];
    const anchor = readers[0] ?? writers[0];
    const sub = anchor === undefined ? undefined : subIndexOf(anchor);
    const level = sub === undefined ? 0 : /** @type {(typeof subs)[number]} */ (subs[sub]).level;
    return readers.length > 0 || anchor === undefined ? { id: topic.id, row: level, ends: readers, sub } : { id: topic.id, row: level + 1, ends: writers, sub };
  });
  // A sub-topology's slot is wide enough for the topics anchored to it.
  /** @type {Map<string, number>} */
  const anchored = new Map();
  for (const t of topics) if (t.sub !== undefined) anchored.set(`${t.sub}:${t.row}`, (anchored.get(`${t.sub}:${t.row}`) ?? 0) + 1);
  for (const [key, n] of anchored) {
    const s = subs[Number(key.split(':')[0])];
    if (s !== undefined) s.slotW = Math.max(s.slotW, n * NODE_W + (n - 1) * GAP_X);
  }

  const levelCount = Math.max(1, ...subs.map((s) => s.level + 1));
  /** @type {number[]} */
  const levelTop = [];
  let y = MARGIN + TOPIC_BAND;
  for (let level = 0; level < levelCount; level++) {
    levelTop.push(y);
    y += Math.max(0, ...subs.filter((s) => s.level === level).map((s) => s.h)) + TOPIC_BAND;
  }
  const rowY = (/** @type {number} */ row) => (row < levelCount ? /** @type {number} */ (levelTop[row]) - TOPIC_BAND : y - TOPIC_BAND) + ROW_GAP;

  /** @type {Map<string, PlacedNode>} */
  const nodes = new Map();
  /** @type {PlacedBox[]} */
  const boxes = [];
  /** @type {number[]} */
  const nextX = [];
  for (const s of subs) {
    const slotX = nextX[s.level] ?? MARGIN;
    nextX[s.level] = slotX + s.slotW + COL_GAP;
    const boxX = slotX + (s.slotW - s.w) / 2;
    const boxY = /** @type {number} */ (levelTop[s.level]);
    boxes.push({ sub: s.sub, x: boxX, y: boxY, w: s.w, h: s.h });
    for (const [id, p] of s.relative) {
      nodes.set(id, { node: /** @type {GraphNode} */ (byId.get(id)), x: boxX + p.x, y: boxY + p.y, w: NODE_W, h: NODE_H });
    }
  }

  for (let row = 0; row <= levelCount; row++) {
    const wanted = topics
      .filter((t) => t.row === row)
      .map((t, i) => {
        const xs = t.ends.map((e) => nodes.get(e)?.x).filter((x) => x !== undefined);
        return { id: t.id, i, x: xs.length === 0 ? MARGIN : xs.reduce((a, b) => a + b, 0) / xs.length };
      });
    wanted.sort((a, b) => a.x - b.x || a.i - b.i);
    // Sweep right so that no two topics of the row overlap.
    let next = MARGIN;
    for (const t of wanted) {
      t.x = Math.max(t.x, next);
      next = t.x + NODE_W + GAP_X;
      nodes.set(t.id, { node: /** @type {GraphNode} */ (byId.get(t.id)), x: t.x, y: rowY(row), w: NODE_W, h: NODE_H });
    }
  }

  let width = 0;
  let height = 0;
  for (const p of nodes.values()) {
    width = Math.max(width, p.x + p.w);
    height = Math.max(height, p.y + p.h);
  }
  for (const b of boxes) {
    width = Math.max(width, b.x + b.w);
    height = Math.max(height, b.y + b.h);
  }
  return { width: width + MARGIN, height: height + MARGIN, boxes, nodes, edges };
}
