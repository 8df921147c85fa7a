// ticket-spike buyer's page, served at GET /buy/{sale}: join the sale's waiting room, wait (polling the place at the
// pace the server asks), buy with the pass once admitted, pay (the demo's simulated payment) and show the e-ticket
// with a QR code. Plain script, no build. The queue token lives in sessionStorage under the sale's id (this tab
// only, never in the URL); a buyer token typed into the page lives in this script's memory only.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const SALE_ID = /^[A-Za-z0-9_-]{1,48}$/;
  const MIN_POLL_SECONDS = 1;
  const MAX_POLL_SECONDS = 30;
  const JOIN_RETRIES = 5;

  const state = {
    sale: null, // the id from the path
    info: null, // GET /sales/{id} data
    user: '',
    bearer: '', // with buyer authentication on: the typed token (memory only)
    queueToken: null,
    queued: false, // the sale has a waiting room that is on
    status: null, // the last status data
    pass: null,
    pollSeconds: 2,
    pollTimer: null,
    deadlines: { opens: null, eta: null, pass: null }, // local ms, for the countdowns between polls
    order: null,
    qrText: null,
    polls: 0,
  };
  window.buyer = state; // for a look from the console (and the browser test)

  // ---- what this tab remembers (sessionStorage, keyed by sale) ----
  const storageKey = () => `ticket-spike:queue:${state.sale}`;
  function remember() {
    try {
      sessionStorage.setItem(storageKey(), JSON.stringify({ user: state.user, token: state.queueToken, orderId: state.order?.orderId ?? null }));
    } catch {
      // storage full or disabled: the page still works, it just cannot resume after a reload
    }
  }
  function recall() {
    try {
      const saved = JSON.parse(sessionStorage.getItem(storageKey()) ?? 'null');
      return saved !== null && typeof saved === 'object' ? saved : null;
    } catch {
      return null;
    }
  }

  // ---- talking to the server ----
  /** One request; resolves with {status, body, retryAfter} for any answer, rejects with a sentence when there is none. */
  async function call(method, path, { json, headers = {} } = {}) {
    const init = { method, headers: { ...headers }, cache: 'no-store', credentials: 'same-origin' };
    if (state.bearer !== '') init.headers.Authorization = `Bearer ${state.bearer}`;
    if (json !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(json);
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (err) {
      throw new Error(`the server could not be reached (${err instanceof Error ? err.message : String(err)}): check your connection`);
    }
    const text = await res.text();
    let body = null;
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
    const retryAfter = Number(res.headers.get('Retry-After'));
    return { status: res.status, body, retryAfter: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null };
  }
  const msgOf = (answer) => (answer.body !== null && typeof answer.body.msg === 'string' ? answer.body.msg : `the server answered HTTP ${answer.status}`);
  const errorOf = (answer) => (answer.body !== null && typeof answer.body.error === 'string' ? answer.body.error : '');

  // ---- what the page shows ----
  function say(text, kind = 'info') {
    const el = $('message');
    el.textContent = text;
    el.dataset.kind = kind;
  }
  function fail(err) {
    say(err instanceof Error ? err.message : String(err), 'error');
  }
  /** Runs an async step from an event or a timer: whatever it throws is shown, never left unhandled. */
  function run(step) {
    return (...args) => {
      step(...args).catch(fail);
    };
  }
  const STAGES = ['join', 'wait', 'buy', 'order', 'ticket'];
  function stage(name) {
    document.body.dataset.stage = name;
    for (const id of STAGES) $(id).hidden = id !== name;
  }
  const seconds = (deadline) => (deadline === null ? null : Math.max(0, Math.ceil((deadline - Date.now()) / 1000)));
  function duration(s) {
    if (s === null || s === undefined) return '–';
    if (s < 60) return `${s} s`;
    const m = Math.floor(s / 60);
    return m < 60 ? `${m} min ${s % 60} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
  }
  function tick() {
    const opens = seconds(state.deadlines.opens);
    if (opens !== null) $('opens-seconds').textContent = String(opens);
    const eta = seconds(state.deadlines.eta);
    if (eta !== null) $('eta').textContent = duration(eta);
    const pass = seconds(state.deadlines.pass);
    if (pass !== null) $('pass-seconds').textContent = String(pass);
  }

  // ---- the sale ----
  async function loadSale() {
    const answer = await call('GET', `/sales/${encodeURIComponent(state.sale)}`);
    if (answer.status !== 200 || answer.body === null || answer.body.data === null || typeof answer.body.data !== 'object') {
      stage('none');
      return say(msgOf(answer), 'error');
    }
    state.info = answer.body.data;
    $('sale-state').textContent = state.info.state ?? '';
    $('sale-state').dataset.state = state.info.state ?? '';
    if (state.info.kind === 'train' && state.info.train) fillTrip(state.info.train);
    const saved = recall();
    if (saved !== null && typeof saved.user === 'string') {
      state.user = saved.user;
      $('user').value = saved.user;
    }
    if (saved !== null && typeof saved.token === 'string') {
      state.queueToken = saved.token;
      state.queued = true;
    }
    if (saved !== null && typeof saved.orderId === 'string') return resumeOrder(saved.orderId);
    if (state.queueToken !== null) {
      stage('wait');
      return poll();
    }
    stage('join');
    say(state.info.state === 'closed' ? 'This sale has closed.' : 'Type your name and join.');
  }

  function fillTrip(train) {
    const stations = Array.isArray(train.stations) ? train.stations : [];
    const classes = [...new Set((train.coaches ?? []).map((c) => c.class))];
    const options = (select, values) => {
      select.replaceChildren(...values.map((v) => new Option(v, v)));
    };
    options($('from'), stations.slice(0, -1));
    // To: only the stations after From (the route's order); the last by default, the one chosen when it still fits.
    const fillTo = () => {
      const chosen = $('to').value;
      const after = stations.slice(stations.indexOf($('from').value) + 1);
      options($('to'), after);
      $('to').value = after.includes(chosen) ? chosen : after[after.length - 1];
    };
    $('from').addEventListener('change', fillTo);
    fillTo();
    options($('class'), classes);
    $('trip').hidden = false;
  }

  // ---- join ----
  async function join(event) {
    event.preventDefault();
    state.user = $('user').value.trim();
    state.bearer = $('bearer').value.trim();
    $('join-button').disabled = true;
    try {
      const body = state.user === '' ? {} : { user: state.user };
      let answer = await call('POST', `/queue/${encodeURIComponent(state.sale)}/join`, { json: body });
      // 503 (a node that has not read the line's key yet, Redis busy): the server says when to ask again; a few times.
      for (let tries = 1; answer.status === 503 && tries <= JOIN_RETRIES; tries++) {
        say(`${msgOf(answer)} (asking again…)`, 'error');
        await new Promise((resolve) => setTimeout(resolve, (answer.retryAfter ?? 1) * 1000));
        answer = await call('POST', `/queue/${encodeURIComponent(state.sale)}/join`, { json: body });
      }
      if (answer.status === 200 && answer.body?.code === 1) {
        state.queueToken = answer.body.data.token;
        state.queued = true;
        remember();
        stage('wait');
        return await poll();
      }
      const error = errorOf(answer);
      if (answer.status === 409 && error === 'NO_QUEUE') {
        // No waiting room (or the operator turned it off): buy straight away, without a pass.
        state.queued = false;
        remember();
        return showBuy(null);
      }
      if (answer.status === 401) {
        // Buyer authentication is on: the buyer is the token's subject.
        $('bearer-row').hidden = false;
        $('user').required = false;
        $('bearer').required = true;
        $('bearer').focus();
      }
      say(msgOf(answer), 'error');
    } finally {
      $('join-button').disabled = false;
    }
  }

  // ---- wait ----
  function schedulePoll(afterSeconds) {
    clearTimeout(state.pollTimer);
    state.pollTimer = setTimeout(run(poll), afterSeconds * 1000);
  }
  const pollPace = (value) => (typeof value === 'number' && value > 0 ? Math.min(MAX_POLL_SECONDS, Math.max(MIN_POLL_SECONDS, value)) : state.pollSeconds);

  async function poll() {
    clearTimeout(state.pollTimer);
    let answer;
    try {
      answer = await call('GET', `/queue/${encodeURIComponent(state.sale)}/status`, { headers: { 'Queue-Token': state.queueToken } });
    } catch (err) {
      fail(err);
      return schedulePoll(state.pollSeconds * 2);
    }
    state.polls++;
    if (answer.status === 401) {
      // A token this sale does not know (another sale's, or its key changed): join again.
      state.queueToken = null;
      remember();
      stage('join');
      return say(`${msgOf(answer)} Join again.`, 'error');
    }
    if (answer.status !== 200 || answer.body?.code !== 1) {
      say(msgOf(answer), 'error');
      return schedulePoll(answer.retryAfter ?? state.pollSeconds * 2);
    }
    const s = answer.body.data;
    state.status = s;
    state.pollSeconds = pollPace(s.pollSeconds);
    $('poll-seconds').textContent = String(state.pollSeconds);
    if (typeof s.token === 'string' && s.token !== '') {
      state.queueToken = s.token; // a better token (the pre-queue's, with its drawn place): keep it
      remember();
    }
    const now = Date.now();
    switch (s.state) {
      case 'pre-queue':
        stage('wait');
        state.deadlines.opens = now + (s.etaSeconds ?? 0) * 1000;
        state.deadlines.eta = null;
        $('wait-title').textContent = 'Before the line opens';
        $('opens-in').hidden = false;
        $('place').hidden = true;
        say('You are in. Your place is drawn when the line opens.');
        tick();
        return schedulePoll(state.pollSeconds);
      case 'waiting':
        stage('wait');
        state.deadlines.opens = null;
        // No estimate (the line admits nobody right now): a dash, not a countdown.
        state.deadlines.eta = typeof s.etaSeconds === 'number' ? now + s.etaSeconds * 1000 : null;
        if (state.deadlines.eta === null) $('eta').textContent = '–';
        $('wait-title').textContent = 'In the line';
        $('opens-in').hidden = true;
        $('place').hidden = false;
        $('position').textContent = s.position === null || s.position === undefined ? '–' : String(s.position);
        $('ahead').textContent = s.ahead === null || s.ahead === undefined ? '–' : String(s.ahead);
        say('Waiting for your turn.');
        tick();
        return schedulePoll(state.pollSeconds);
      case 'admitted':
        state.deadlines.opens = null;
        state.deadlines.eta = null;
        // The pass's remaining time by this machine's clock: shown only, the server decides.
        state.deadlines.pass = typeof s.passExpiresAt === 'number' ? s.passExpiresAt : null;
        return showBuy(s.pass);
      case 'sold-out':
        state.deadlines.opens = null;
        state.deadlines.eta = null;
        stage('none');
        $('sale-state').textContent = 'sold out';
        $('sale-state').dataset.state = 'sold-out';
        return say('Sold out: every ticket has been sold.', 'error');
      case 'expired':
        // This place's turn came and its pass ran out unused: the place is spent (joining again gives it back).
        state.deadlines.opens = null;
        state.deadlines.eta = null;
        state.deadlines.pass = null;
        stage('none');
        return say('Your turn came and your pass ran out before you bought: this place in line is used up.', 'error');
      case 'off':
        // The operator turned the waiting room off: buy without a pass.
        state.queued = false;
        return showBuy(null);
      default:
        say(`the server says the line is "${String(s.state)}", which this page does not know; asking again`, 'error');
        return schedulePoll(state.pollSeconds);
    }
  }

  // ---- buy ----
  function showBuy(pass) {
    clearTimeout(state.pollTimer);
    state.pass = pass;
    $('pass-left').hidden = pass === null || state.deadlines.pass === null;
    stage('buy');
    tick();
    say(pass === null ? 'Buy your ticket.' : 'It is your turn: buy your ticket before your pass runs out.');
  }

  async function buy(event) {
    event.preventDefault();
    $('buy-button').disabled = true;
    try {
      const body = { user: state.user, sale: state.sale };
      if (state.user === '') delete body.user;
      if (state.info?.kind === 'train') Object.assign(body, { from: $('from').value, to: $('to').value, class: $('class').value, passengers: 1 });
      const headers = state.pass === null ? {} : { 'Queue-Pass': state.pass };
      const answer = await call('POST', '/buy/ticket', { json: body, headers });
      const code = answer.body?.code;
      if (answer.status === 200 && code === 1) return showOrder(answer.body.data);
      say(msgOf(answer), 'error');
      if (answer.status === 200 && code === -3 && (state.pass !== null || state.queued)) {
        // The pass is spent or ran out, or the line is on now: back to the line, which says what comes next.
        state.pass = null;
        if (state.queueToken !== null) {
          state.queued = true;
          schedulePoll(state.pollSeconds);
        }
      } else if (answer.status === 200 && code === -1 && state.info?.kind !== 'train') {
        stage('none');
      }
    } finally {
      $('buy-button').disabled = false;
    }
  }

  // ---- order and payment ----
  function seatsText(seats) {
    return Array.isArray(seats) && seats.length > 0 ? seats.map((s) => `coach ${s.coach} seat ${s.seat}, ${s.from} → ${s.to}`).join('; ') : '–';
  }
  function showOrder(order) {
    state.order = order;
    remember();
    $('order-id').textContent = order.orderId;
    $('order-seats').textContent = seatsText(order.seats);
    $('order-expires').textContent = typeof order.expiresAt === 'number' && order.expiresAt > 0 ? new Date(order.expiresAt).toLocaleTimeString() : '–';
    stage('order');
    say(order.status === 'paid' ? 'This order is paid.' : 'Your ticket is held for you: pay before it runs out.');
  }

  async function pay() {
    $('pay-button').disabled = true;
    try {
      const answer = await call('POST', `/orders/${encodeURIComponent(state.order.orderId)}/pay`, { json: { status: 'succeeded' } });
      if (answer.status === 200 && answer.body?.code === 1 && answer.body.data?.ticket) return showTicket(answer.body.data.ticket);
      say(msgOf(answer), 'error');
    } finally {
      $('pay-button').disabled = false;
    }
  }

  /** After a reload: the order this tab made, as it is now (held: pay it; paid: its ticket). */
  async function resumeOrder(orderId) {
    const answer = await call('GET', `/orders/${encodeURIComponent(orderId)}`);
    if (answer.status !== 200 || answer.body?.code !== 1) {
      state.order = null;
      remember();
      stage('join');
      return say(msgOf(answer), 'error');
    }
    const order = answer.body.data;
    state.order = { orderId, expiresAt: order.expiresAt, status: order.status, seats: order.seats };
    if (order.status === 'cancelled' || order.status === 'expired') {
      // Over: this tab starts again, from its place in the line if it still has one.
      state.order = null;
      remember();
      say(`Order ${orderId} ${order.status === 'expired' ? 'expired unpaid' : 'was cancelled'}.`, 'error');
      if (state.queueToken === null) return stage('join');
      stage('wait');
      return poll();
    }
    if (order.status !== 'paid') return showOrder(state.order);
    const ticket = await call('GET', `/tickets/${encodeURIComponent(orderId)}`);
    if (ticket.status === 200 && ticket.body?.data?.ticket) return showTicket(ticket.body.data.ticket);
    showOrder(state.order);
    say(msgOf(ticket), 'error');
  }

  // ---- the e-ticket ----
  function showTicket(ticket) {
    let payload = {};
    try {
      payload = JSON.parse(ticket.payload);
    } catch {
      payload = {};
    }
    // What a gate scans: the ticket as POST /tickets/check-in takes it (the public key is fetched by kid, not carried).
    state.qrText = JSON.stringify({ payload: ticket.payload, signature: ticket.signature, kid: ticket.kid });
    state.ticket = ticket;
    $('qr').src = qrDataUrl(state.qrText);
    const facts = [
      ['Order', payload.orderId],
      ['Sale', payload.sale],
      ['Buyer', payload.user],
      ['Date', payload.date],
      ['Seats', payload.seats === undefined ? undefined : seatsText(payload.seats)],
      ['Paid', typeof payload.paidAt === 'number' ? new Date(payload.paidAt).toLocaleString() : undefined],
      ['Key', ticket.kid],
    ].filter(([, v]) => v !== undefined && v !== '');
    $('ticket-facts').replaceChildren(
      ...facts.map(([name, value]) => {
        const row = document.createElement('div');
        const dt = document.createElement('dt');
        const dd = document.createElement('dd');
        dt.textContent = name;
        dd.textContent = String(value);
        row.append(dt, dd);
        return row;
      }),
    );
    stage('ticket');
    say('Paid. Here is your ticket.');
  }

  /** The QR code as a GIF data: URL (img-src data: in the page's CSP), text as UTF-8 bytes, error correction M. */
  function qrDataUrl(text) {
    if (typeof qrcode !== 'function') throw new Error('the QR code library did not load: reload the page');
    qrcode.stringToBytes = qrcode.stringToBytesFuncs['UTF-8'];
    const qr = qrcode(0, 'M');
    qr.addData(text, 'Byte');
    qr.make();
    return qr.createDataURL(4, 16);
  }

  // ---- start ----
  function start() {
    const match = /^\/buy\/([^/]+)\/?$/.exec(location.pathname);
    let sale = '';
    try {
      sale = match === null ? '' : decodeURIComponent(match[1]);
    } catch {
      sale = ''; // a malformed %-escape: no sale
    }
    $('join').addEventListener('submit', run(join));
    $('buy').addEventListener('submit', run(buy));
    $('pay-button').addEventListener('click', run(pay));
    setInterval(tick, 1000);
    if (!SALE_ID.test(sale)) {
      stage('none');
      return say('No sale in this address: open /buy/<sale id>.', 'error');
    }
    state.sale = sale;
    $('sale-name').textContent = sale;
    document.title = `${sale}: buy a ticket`;
    run(loadSale)();
  }
  start();
})();
