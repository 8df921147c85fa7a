// ticket-spike live dashboard: one WebSocket (/ws/sales) that only pushes snapshots (src/node/main/
// dashboard-snapshot.ts), uPlot charts of the last minutes, and buttons that call the admin API with the
// token typed into the page. The token lives in the input field and this script's memory only: never in the
// URL, a cookie or storage.
'use strict';

(() => {
  const HISTORY_SECONDS = 5 * 60;
  const $ = (id) => document.getElementById(id);
  // ---- history for the charts: x in seconds, one sold series per sale, requests/s and purchases/s ----
  const history = { x: [], sold: new Map(), rps: [], pps: [] };
  const state = { snapshots: 0, last: null, socketOpen: false, points: 0, history };
  window.dashboard = state; // for a look from the console (and the browser test)
  let soldChart = null;
  let soldIds = '';
  let rpsChart = null;

  function record(snap) {
    const t = snap.at / 1000;
    history.x.push(t);
    history.rps.push(snap.totals.requestsPerSec);
    history.pps.push(snap.totals.purchasesPerSec);
    const n = history.x.length;
    for (const sale of snap.sales) {
      if (!history.sold.has(sale.id)) history.sold.set(sale.id, new Array(n - 1).fill(null));
    }
    for (const [id, series] of history.sold) {
      const sale = snap.sales.find((s) => s.id === id);
      series.push(sale === undefined ? null : sale.sold);
    }
    while (history.x.length > 0 && history.x[0] < t - HISTORY_SECONDS) {
      history.x.shift();
      history.rps.shift();
      history.pps.shift();
      for (const series of history.sold.values()) series.shift();
    }
    for (const [id, series] of history.sold) if (series.every((v) => v === null)) history.sold.delete(id);
    state.points = history.x.length;
  }

  const COLORS = ['#4a90e2', '#e2a04a', '#50c878', '#d65db1', '#e25c4a', '#9b8cff', '#3fc1c9', '#c9c13f'];
  const size = () => ({ width: Math.max(320, Math.min(640, window.innerWidth / 2 - 60)), height: 220 });

  function drawCharts() {
    if (typeof uPlot === 'undefined') return;
    const ids = [...history.sold.keys()].slice(0, COLORS.length);
    if (soldChart === null || ids.join('\n') !== soldIds) {
      soldChart?.destroy();
      soldIds = ids.join('\n');
      soldChart = new uPlot(
        { ...size(), series: [{}, ...ids.map((id, i) => ({ label: id, stroke: COLORS[i], width: 2 }))], axes: axes() },
        [history.x, ...ids.map((id) => history.sold.get(id))],
        $('chart-sold'),
      );
    } else {
      soldChart.setData([history.x, ...ids.map((id) => history.sold.get(id))]);
    }
    if (rpsChart === null) {
      rpsChart = new uPlot(
        {
          ...size(),
          series: [{}, { label: 'requests/s', stroke: '#4a90e2', width: 2 }, { label: 'purchases/s', stroke: '#50c878', width: 2 }],
          axes: axes(),
        },
        [history.x, history.rps, history.pps],
        $('chart-rps'),
      );
    } else {
      rpsChart.setData([history.x, history.rps, history.pps]);
    }
  }

  function axes() {
    const style = { stroke: '#8a8f98', grid: { stroke: '#2a2f37' }, ticks: { stroke: '#2a2f37' } };
    return [style, style];
  }

  // ---- tables ----
  const fmt = (v, digits = 0) => (v === null || v === undefined ? '–' : Number(v).toFixed(digits));

  function badge(el, text, cls) {
    el.textContent = text;
    el.className = `badge ${cls}`;
  }

  function cell(tr, cls, text) {
    const td = document.createElement('td');
    td.className = cls;
    td.textContent = text;
    tr.appendChild(td);
    return td;
  }

  // Rows are kept and updated in place, so a button under the pointer survives the next snapshot.
  function renderSales(sales) {
    const body = $('sales').querySelector('tbody');
    const rows = new Map([...body.children].map((tr) => [tr.dataset.sale, tr]));
    for (const sale of sales) {
      let tr = rows.get(sale.id);
      rows.delete(sale.id);
      if (tr === undefined) tr = newSaleRow(sale.id, body);
      const set = (cls, text) => (tr.querySelector(`td.${cls}`).textContent = text);
      set('state', sale.state);
      set('total', fmt(sale.total));
      set('held', fmt(sale.held));
      set('paid', fmt(sale.paid));
      set('sold', fmt(sale.sold));
      set('remaining', fmt(sale.remaining));
      set('checkedin', fmt(sale.checkedIn ?? 0));
      tr.querySelector('.bar i').style.width = `${sale.total > 0 ? Math.min(100, (100 * sale.sold) / sale.total) : 0}%`;
      let last = tr;
      if (sale.train !== undefined) {
        last = renderTrain(sale, tr, body);
        rows.delete(`${sale.id} train`);
      }
      if (sale.queue !== undefined && sale.queue !== null) {
        renderQueue(sale.id, sale.queue, last, body);
        rows.delete(`${sale.id} queue`);
      }
    }
    for (const tr of rows.values()) tr.remove();
  }

  // ---- a train: seats taken per segment and class, and a coach's seat map (admin API, with the token) ----
  function renderTrain(sale, saleRow, body) {
    let tr = body.querySelector(`tr.train[data-train="${CSS.escape(sale.id)}"]`);
    if (tr === null) {
      tr = document.createElement('tr');
      tr.className = 'train';
      tr.dataset.train = sale.id;
      tr.dataset.sale = `${sale.id} train`; // kept by renderSales' row map, removed with it
      const td = document.createElement('td');
      td.colSpan = 10;
      td.innerHTML = '<div class="load"></div><form class="coach"><label>coach <input class="coach-id" size="4"></label>' +
        '<button type="submit">seat map</button><span class="coach-result muted"></span></form><div class="seatmap"></div>';
      tr.appendChild(td);
      td.querySelector('form').addEventListener('submit', (event) => {
        event.preventDefault();
        void seatMap(sale.id, td.querySelector('.coach-id').value.trim(), td);
      });
    }
    // Moved only when out of place: moving it would drop the focus and a click on its form between two snapshots.
    if (saleRow.nextElementSibling !== tr) saleRow.after(tr);
    const load = tr.querySelector('.load');
    load.replaceChildren();
    for (const c of sale.train.classes) {
      const line = document.createElement('div');
      line.className = 'segments';
      line.dataset.class = c.name;
      const name = document.createElement('span');
      name.textContent = `${c.name} (${c.seats} seats)`;
      line.appendChild(name);
      c.taken.forEach((taken, s) => {
        const seg = document.createElement('b');
        seg.dataset.segment = String(s);
        seg.textContent = String(taken);
        seg.title = `${sale.train.stations[s]} → ${sale.train.stations[s + 1]}: ${taken} of ${c.seats} taken`;
        seg.style.background = `rgba(74, 144, 226, ${c.seats > 0 ? (0.15 + 0.85 * taken / c.seats).toFixed(2) : 0})`;
        line.appendChild(seg);
      });
      load.appendChild(line);
    }
    return tr;
  }

  // ---- a waiting room: the line and how fast it moves, its switch and its admission rate (admin API) ----
  // The row and its controls are made once and only their texts change: a snapshot never replaces a button or
  // the rate field, so a click or a half-typed rate between two snapshots is not lost. The on and off buttons
  // keep their meaning whatever the snapshot says (a toggle whose label flipped under the pointer could turn
  // the queue on when the operator meant off).
  function renderQueue(id, q, after, body) {
    let tr = body.querySelector(`tr.queue[data-queue="${CSS.escape(id)}"]`);
    if (tr === null) tr = newQueueRow(id);
    // Moved only when out of place (after the sale's row, or its train's): moving it would drop the focus.
    if (after.nextElementSibling !== tr) after.after(tr);
    const set = (cls, text) => (tr.querySelector(`.${cls}`).textContent = text);
    const onOff = tr.querySelector('.q-on');
    onOff.textContent = q.on ? 'queue on' : 'queue off';
    onOff.className = `q-on badge ${q.on ? 'up' : 'unknown'}`;
    tr.dataset.on = String(q.on);
    set('q-rate', q.admitPerSecond === 'auto' ? 'auto' : `${fmt(q.admitPerSecond, Number.isInteger(q.admitPerSecond) ? 0 : 1)}/s`);
    // line: places given (everyone who joined); served: the serving position (admitted or skipped).
    set('q-waiting', fmt(Math.max(0, q.line - q.served)));
    set('q-line', fmt(q.line));
    set('q-admitted', fmt(q.admittedPerSecond, 1));
    set('q-served', fmt(q.served));
    set('q-skipped', fmt(q.skipped));
    set('q-passes', `${fmt(q.passesUsed)} used, ${fmt(q.passesExpired)} expired`);
    const wait = (s) => (s === null || s === undefined ? '–' : `${fmt(s, Number.isInteger(s) ? 0 : 1)} s`);
    set('q-p50', wait(q.waitP50));
    set('q-p99', wait(q.waitP99));
  }

  function newQueueRow(id) {
    const tr = document.createElement('tr');
    tr.className = 'queue';
    tr.dataset.queue = id;
    tr.dataset.sale = `${id} queue`; // kept by renderSales' row map, removed with it
    const td = document.createElement('td');
    td.colSpan = 10;
    td.innerHTML = '<span class="q-on badge unknown"></span> <span class="q-figures">' +
      'admits <b class="q-rate"></b> · in line <b class="q-waiting"></b> · joined <b class="q-line"></b> · ' +
      'served <b class="q-served"></b> · admitted/s <b class="q-admitted"></b> · abandoned <b class="q-skipped"></b> · ' +
      'passes <b class="q-passes"></b> · ' +
      'wait p50 <b class="q-p50"></b>, p99 <b class="q-p99"></b></span>' +
      '<form class="queue-ops"><button type="button" data-action="queue-on">queue on</button>' +
      '<button type="button" data-action="queue-off">queue off</button>' +
      '<label>admit/s <input class="q-rate-input" placeholder="N or auto" size="6"></label>' +
      '<button type="submit" data-action="queue-rate">set rate</button></form>';
    for (const button of td.querySelectorAll('button')) {
      button.dataset.sale = id;
      button.disabled = token() === '';
    }
    td.querySelector('form').addEventListener('submit', (event) => {
      event.preventDefault();
      const raw = td.querySelector('.q-rate-input').value.trim();
      if (raw === '') {
        $('admin-result').textContent = `rate ${id}: type admissions per second (a number) or auto`;
        return;
      }
      // A number goes as a number, "auto" as itself; anything else is sent as typed and the API says what is wrong.
      const rate = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw.toLowerCase() === 'auto' ? 'auto' : raw;
      void send(`rate ${rate}`, id, 'queue', { admitPerSecond: rate });
    });
    tr.appendChild(td);
    return tr;
  }

  async function seatMap(saleId, coach, td) {
    const out = td.querySelector('.coach-result');
    const map = td.querySelector('.seatmap');
    out.textContent = `coach ${coach}…`;
    try {
      const res = await fetch(`/admin/sales/${encodeURIComponent(saleId)}/coaches/${encodeURIComponent(coach)}`, {
        headers: { Authorization: `Bearer ${token()}` },
        cache: 'no-store',
      });
      const body = await res.json();
      if (res.status !== 200) {
        out.textContent = `coach ${coach}: ${res.status} ${body.msg ?? ''}`;
        return;
      }
      out.textContent = `coach ${coach} (${body.data.class}): a row per seat, a cell per segment, filled = sold or held`;
      const table = document.createElement('table');
      table.className = 'seats';
      for (const seat of body.data.seats) {
        const row = document.createElement('tr');
        row.dataset.seat = seat.seat;
        cell(row, 'label', `${seat.seat} ${seat.kind === 'w' ? 'window' : seat.kind === 'a' ? 'aisle' : ''}`);
        [...seat.occupancy].forEach((ch, s) => {
          const seg = cell(row, ch === '1' ? 'taken' : 'free', '');
          seg.title = `${body.data.stations[s]} → ${body.data.stations[s + 1]}`;
        });
        table.appendChild(row);
      }
      map.replaceChildren(table);
    } catch (err) {
      out.textContent = `coach ${coach}: ${err.message}`;
    }
  }

  function newSaleRow(id, body) {
    const tr = document.createElement('tr');
    tr.dataset.sale = id;
    cell(tr, 'id', id);
    for (const cls of ['state', 'total', 'held', 'paid', 'sold', 'remaining', 'checkedin']) cell(tr, cls, '');
    const bar = document.createElement('div');
    bar.className = 'bar';
    bar.appendChild(document.createElement('i'));
    cell(tr, 'progress', '').appendChild(bar);
    const ops = cell(tr, 'ops', '');
    for (const action of ['pause', 'resume', 'close']) {
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = action;
      button.dataset.action = action;
      button.dataset.sale = id;
      button.disabled = token() === '';
      ops.appendChild(button);
    }
    body.appendChild(tr);
    return tr;
  }

  function renderNodes(nodes) {
    const body = $('nodes').querySelector('tbody');
    body.replaceChildren();
    for (const node of nodes) {
      const tr = document.createElement('tr');
      tr.dataset.node = node.id;
      const alive = node.alive === true ? 'up' : node.alive === false ? 'down' : 'unknown';
      tr.className = alive;
      cell(tr, 'id', node.id);
      cell(tr, 'alive', node.alive === false ? `down (${Math.round(node.ageMs / 1000)} s)` : alive);
      cell(tr, 'share', node.alive === false ? '–' : `${fmt(node.share * 100)} %`);
      cell(tr, 'rps', fmt(node.requestsPerSec, 1));
      cell(tr, 'pps', fmt(node.purchasesPerSec, 1));
      cell(tr, 'p50', fmt(node.p50Ms, 2));
      cell(tr, 'p99', fmt(node.p99Ms, 2));
      cell(tr, 'threads', fmt(node.threads));
      cell(tr, 'dashboards', fmt(node.dashboards));
      body.appendChild(tr);
    }
  }

  function render(snap) {
    $('served-by').textContent = `via ${snap.servedBy}`;
    badge($('redis'), `Redis ${snap.redis ? 'up' : 'down'}`, snap.redis ? 'up' : 'down');
    const pg = snap.postgres;
    badge($('postgres'), `PostgreSQL ${pg === 'none' ? 'not configured' : pg}`, pg === 'up' ? 'up' : pg === 'down' ? 'down' : 'unknown');
    $('t-purchases').textContent = fmt(snap.totals.purchasesPerSec, 1);
    $('t-soldout').textContent = fmt(snap.totals.soldOutPerSec, 1);
    $('t-429').textContent = fmt(snap.totals.tooManyPerSec, 1);
    $('t-503').textContent = fmt(snap.totals.unavailablePerSec, 1);
    $('t-requests').textContent = fmt(snap.totals.requestsPerSec, 1);
    renderSales(snap.sales);
    renderNodes(snap.nodes);
    drawCharts();
  }

  // ---- the socket: reconnect after a second (nginx then picks a node, maybe another one) ----
  function connect() {
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/sales`);
    ws.onopen = () => {
      state.socketOpen = true;
      badge($('ws-state'), 'live', 'up');
    };
    ws.onmessage = (event) => {
      let snap;
      try {
        snap = JSON.parse(event.data);
      } catch {
        return;
      }
      if (snap === null || snap.type !== 'snapshot') return;
      state.snapshots++;
      state.last = snap;
      record(snap);
      render(snap);
    };
    ws.onclose = () => {
      state.socketOpen = false;
      badge($('ws-state'), 'reconnecting…', 'down');
      setTimeout(connect, 1000);
    };
  }

  // ---- admin buttons ----
  const token = () => $('token').value.trim();
  function tokenChanged() {
    const has = token() !== '';
    $('token-state').textContent = has ? 'token set (this tab only)' : 'no token: buttons disabled';
    for (const b of document.querySelectorAll('button[data-action]')) b.disabled = !has;
  }

  async function operate(action, saleId) {
    const out = $('admin-result');
    // Closing cannot be undone (resume refuses a closed sale): one misclick must not end a running sale.
    if (action === 'close' && !window.confirm(`Close sale ${saleId} now? Purchases stop for good; existing holds can still be paid.`)) {
      out.textContent = `close ${saleId}: not sent`;
      return;
    }
    await send(action, saleId, action); // the contract: no body
  }

  /** POST /admin/sales/{id}/{path} with the token (and a JSON body if any); the answer's status and msg on the page. */
  async function send(label, saleId, path, json) {
    const out = $('admin-result');
    out.textContent = `${label} ${saleId}…`;
    delete out.dataset.status;
    const headers = { Authorization: `Bearer ${token()}` };
    if (json !== undefined) headers['Content-Type'] = 'application/json';
    try {
      const res = await fetch(`/admin/sales/${encodeURIComponent(saleId)}/${path}`, {
        method: 'POST',
        headers,
        body: json === undefined ? undefined : JSON.stringify(json),
        cache: 'no-store',
      });
      let msg = '';
      try {
        msg = (await res.json()).msg ?? '';
      } catch {
        msg = res.statusText;
      }
      out.textContent = `${label} ${saleId}: ${res.status} ${msg}`;
      out.dataset.status = String(res.status);
    } catch (err) {
      out.textContent = `${label} ${saleId}: ${err.message}`;
      out.dataset.status = 'error';
    }
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('admin').addEventListener('submit', (event) => event.preventDefault());
    $('token').addEventListener('input', tokenChanged);
    $('sales').addEventListener('click', (event) => {
      const button = event.target.closest('button[data-action]');
      if (button === null || button.disabled) return;
      const { action, sale } = button.dataset;
      if (action === 'queue-on' || action === 'queue-off') void send(action.replace('-', ' '), sale, 'queue', { on: action === 'queue-on' });
      else if (action === 'pause' || action === 'resume' || action === 'close') void operate(action, sale);
      // queue-rate is its form's submit button: the form's submit handler sends it (a click or Enter).
    });
    connect();
  });
})();
