// ticket-spike buyer's page, served at GET /buy/{sale}: join the sale's waiting room, wait (polling the place at the
// pace the server asks), buy with the pass once admitted, pay (the demo's simulated payment) and show the e-ticket
// with a QR code; line up again at the back when the line passed this tab's place while it was away ('skipped').
// Plain script, no build. The queue token lives in sessionStorage under the sale's id (this tab only, never in the
// URL), with the order made; a buyer token typed into the page lives in this script's memory only, so the page asks
// for it again wherever a request answers 401 for want of it.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const SALE_ID = /^[A-Za-z0-9_-]{1,48}$/;
  const MIN_POLL_SECONDS = 1;
  const MAX_POLL_SECONDS = 30;
  const JOIN_RETRIES = 5;
  /** After a reload: how soon to ask again for the stored order when the server could not say (503, 429, no answer). */
  const RESUME_RETRY_SECONDS = 5;

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
    resumeOrderId: null, // after a reload: the stored order not read back yet (kept in storage until it is known to be over)
    resumeTimer: null,
    retry: null, // what to do again once a buyer token is typed (the step that was answered 401)
    qrText: null,
    polls: 0,
  };
  window.buyer = state; // for a look from the console (and the browser test)

  // ---- what this tab remembers (sessionStorage, keyed by sale) ----
  const storageKey = () => `ticket-spike:queue:${state.sale}`;
  function remember() {
    try {
      const orderId = state.order?.orderId ?? state.resumeOrderId;
      sessionStorage.setItem(storageKey(), JSON.stringify({ user: state.user, token: state.queueToken, orderId }));
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
  /** The server's msg as a sentence, to say something after it. */
  const sentenceOf = (answer) => msgOf(answer).replace(/([^.!?])$/, '$1.');
  const errorOf = (answer) => (answer.body !== null && typeof answer.body.error === 'string' ? answer.body.error : '');
  /** 401s that are not about the buyer's token: the line's token, the payment system's signature. */
  const NOT_THE_BUYER = new Set(['BAD_QUEUE_TOKEN', 'PAYMENT_SYSTEM_ONLY', 'BAD_PAYMENT_SIGNATURE']);
  /** An answer that wants the buyer's token (buyer authentication on, and none typed since the page loaded, or a wrong one). */
  const wantsBearer = (answer) =>
    (answer.status === 401 && !NOT_THE_BUYER.has(errorOf(answer))) || (answer.status === 403 && errorOf(answer) === 'NOT_YOUR_ORDER');

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
  const STAGES = ['join', 'wait', 'skipped', 'buy', 'order', 'ticket'];
  function stage(name) {
    document.body.dataset.stage = name;
    for (const id of STAGES) $(id).hidden = id !== name;
  }
  function badge(text, key) {
    $('sale-state').textContent = text;
    $('sale-state').dataset.state = key;
  }
  const saleBadge = () => badge(state.info?.state ?? '', state.info?.state ?? '');
  /**
   * Buyer authentication wants the buyer's token: the field (wherever the page is), then `retry` once it is typed.
   * The token lives in this script's memory only, so a reload asks for it again at the first request that needs it.
   */
  function askBearer(answer, retry) {
    state.retry = retry;
    $('auth').hidden = false;
    $('user').required = false; // the buyer is the token's subject
    $('bearer').focus();
    say(`${sentenceOf(answer)} Type your buyer token and press "Use this token".`, 'error');
  }
  async function useBearer(event) {
    event.preventDefault();
    const typed = $('bearer').value.trim();
    if (typed === '') return say('Type your buyer token first.', 'error');
    state.bearer = typed;
    $('auth').hidden = true;
    const retry = state.retry;
    state.retry = null;
    if (retry !== null) await retry();
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
    saleBadge();
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
    if (saved !== null && typeof saved.orderId === 'string') {
      state.resumeOrderId = saved.orderId;
      return resumeOrder(saved.orderId);
    }
    return backToLine();
  }

  /** The line's view when this tab has a place in it, else the join form. */
  function backToLine() {
    if (state.queueToken !== null) {
      stage('wait');
      return poll();
    }
    stage('join');
    say(state.info?.state === 'closed' ? 'This sale has closed.' : 'Type your name and join.');
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
  /** POST /queue/{sale}/join for this tab's buyer; a 503 (a node that has not read the line's key yet, Redis busy) is asked again a few times, when the server says. */
  async function postJoin() {
    const path = `/queue/${encodeURIComponent(state.sale)}/join`;
    const body = state.user === '' ? {} : { user: state.user };
    let answer = await call('POST', path, { json: body });
    for (let tries = 1; answer.status === 503 && tries <= JOIN_RETRIES; tries++) {
      say(`${msgOf(answer)} (asking again…)`, 'error');
      await new Promise((resolve) => setTimeout(resolve, (answer.retryAfter ?? 1) * 1000));
      answer = await call('POST', path, { json: body });
    }
    return answer;
  }

  /** What a join answered (the first one, or the line-up again after a skipped place); `retry` joins again once a buyer token is typed. */
  async function afterJoin(answer, retry) {
    if (answer.status === 200 && answer.body?.code === 1 && typeof answer.body.data?.token === 'string') {
      // A new token (a line-up again gives a new place): it replaces the stored one.
      state.queueToken = answer.body.data.token;
      state.queued = true;
      state.status = null;
      remember();
      stage('wait');
      return poll();
    }
    const error = errorOf(answer);
    if (answer.status === 409 && error === 'NO_QUEUE') {
      // No waiting room (or the operator turned it off): buy straight away, without a pass.
      state.queued = false;
      remember();
      return showBuy(null);
    }
    if (wantsBearer(answer)) return askBearer(answer, retry);
    if (answer.status === 409 && (error === 'LINE_FULL' || error === 'SALE_CLOSED')) {
      // Final: no place for this buyer.
      clearTimeout(state.pollTimer);
      stage('none');
      if (error === 'SALE_CLOSED') badge('closed', 'closed');
      return say(msgOf(answer), 'error');
    }
    // ALREADY_JOINED (the demo: a name alone does not get a place's token back; the msg says what to do),
    // QUEUE_NOT_YET, a bad name...: said, never joined again by itself.
    say(msgOf(answer), 'error');
  }

  async function join(event) {
    event?.preventDefault();
    state.user = $('user').value.trim();
    const typed = $('bearer').value.trim();
    if (typed !== '') state.bearer = typed;
    $('join-button').disabled = true;
    try {
      await afterJoin(await postJoin(), join);
    } finally {
      $('join-button').disabled = false;
    }
  }

  /** The line passed this tab's place while it was not asking: line up again, at the back (a new token and place). */
  async function rejoin() {
    $('rejoin-button').disabled = true;
    try {
      await afterJoin(await postJoin(), rejoin);
    } finally {
      $('rejoin-button').disabled = false;
    }
  }

  // ---- wait ----
  function schedulePoll(afterSeconds) {
    clearTimeout(state.pollTimer);
    state.pollTimer = setTimeout(run(poll), afterSeconds * 1000);
  }
  const pollPace = (value) => (typeof value === 'number' && value > 0 ? Math.min(MAX_POLL_SECONDS, Math.max(MIN_POLL_SECONDS, value)) : state.pollSeconds);

  /** The line's view: before the opening, or a position (waiting, or sold out for now). */
  function showLine(s, now) {
    stage('wait');
    state.queued = true;
    state.pass = null;
    if (s.state === 'pre-queue') {
      state.deadlines.opens = now + (s.etaSeconds ?? 0) * 1000;
      state.deadlines.eta = null;
      $('wait-title').textContent = 'Before the line opens';
      $('opens-in').hidden = false;
      $('place').hidden = true;
      return;
    }
    state.deadlines.opens = null;
    // No estimate (the line admits nobody right now, or nothing is left to sell): a dash, not a countdown.
    state.deadlines.eta = typeof s.etaSeconds === 'number' && s.state === 'waiting' ? now + s.etaSeconds * 1000 : null;
    if (state.deadlines.eta === null) $('eta').textContent = '–';
    $('wait-title').textContent = s.state === 'sold-out' ? 'Sold out for now' : 'In the line';
    $('opens-in').hidden = true;
    $('place').hidden = false;
    $('position').textContent = s.position === null || s.position === undefined ? '–' : String(s.position);
    $('ahead').textContent = s.ahead === null || s.ahead === undefined ? '–' : String(s.ahead);
  }

  /** Final: no more polls, nothing to buy. */
  function over(text) {
    clearTimeout(state.pollTimer);
    state.deadlines.opens = null;
    state.deadlines.eta = null;
    state.deadlines.pass = null;
    stage('none');
    say(text, 'error');
  }

  async function poll() {
    clearTimeout(state.pollTimer);
    if (state.queueToken === null) return;
    let answer;
    try {
      answer = await call('GET', `/queue/${encodeURIComponent(state.sale)}/status`, { headers: { 'Queue-Token': state.queueToken } });
    } catch (err) {
      fail(err);
      return schedulePoll(state.pollSeconds * 2);
    }
    // Bought meanwhile (a purchase while the queue was off): the line is behind this tab.
    if (state.order !== null) return;
    state.polls++;
    if (answer.status === 401) {
      // A token this sale does not know (another sale's, or its key changed): join again.
      state.queueToken = null;
      remember();
      stage('join');
      return say(`${sentenceOf(answer)} Join again.`, 'error');
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
        saleBadge();
        showLine(s, now);
        say('You are in. Your place is drawn when the line opens.');
        tick();
        return schedulePoll(state.pollSeconds);
      case 'waiting':
        // Also after 'off': the operator turned the line back on, this tab is in it again.
        saleBadge();
        showLine(s, now);
        say('Waiting for your turn.');
        tick();
        return schedulePoll(state.pollSeconds);
      case 'sold-out':
        // Not final: a held order cancelled or expired gives a seat back, and the line goes on from this place.
        badge('sold out', 'sold-out');
        showLine(s, now);
        say('Sold out for now — you keep your place in case a seat comes back.');
        tick();
        return schedulePoll(state.pollSeconds);
      case 'admitted':
        saleBadge();
        state.queued = true;
        state.deadlines.opens = null;
        state.deadlines.eta = null;
        // The pass's remaining time by this machine's clock: shown only, the server decides.
        state.deadlines.pass = typeof s.passExpiresAt === 'number' ? s.passExpiresAt : null;
        return showBuy(s.pass);
      case 'skipped':
        // The line reached this place while the tab was not asking: the buyer may line up again, at the back.
        clearTimeout(state.pollTimer);
        state.deadlines.opens = null;
        state.deadlines.eta = null;
        stage('skipped');
        $('rejoin-button').focus();
        return say('The line passed your place while this page was not asking. Join again to line up at the back.', 'error');
      case 'expired':
        // This place's turn came and its pass ran out unused: the place is spent.
        return over('Your turn passed and your pass expired unused: this place in line is used up.');
      case 'closed':
        badge('closed', 'closed');
        return over('This sale has closed.');
      case 'off':
        // The operator turned the waiting room off: buy without a pass. The tab keeps asking (at the answer's
        // pace): should the line come back on, it goes back to its place.
        state.queued = false;
        saleBadge();
        if (document.body.dataset.stage !== 'buy' || state.pass !== null) showBuy(null);
        return schedulePoll(state.pollSeconds);
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
    event?.preventDefault();
    $('buy-button').disabled = true;
    try {
      const body = { user: state.user, sale: state.sale };
      if (state.user === '') delete body.user;
      if (state.info?.kind === 'train') Object.assign(body, { from: $('from').value, to: $('to').value, class: $('class').value, passengers: 1 });
      const headers = state.pass === null ? {} : { 'Queue-Pass': state.pass };
      const answer = await call('POST', '/buy/ticket', { json: body, headers });
      const code = answer.body?.code;
      if (answer.status === 200 && code === 1) return showOrder(answer.body.data);
      if (wantsBearer(answer)) return askBearer(answer, buy);
      say(msgOf(answer), 'error');
      if (answer.status === 200 && code === -3 && (state.pass !== null || state.queued || state.queueToken !== null)) {
        // The pass is spent or ran out, or the line is on (again): back to the line, which says what comes next
        // (a sale that is not open, or a line still off, brings the tab back here).
        state.pass = null;
        if (state.queueToken !== null) schedulePoll(MIN_POLL_SECONDS);
      } else if (answer.status === 200 && code === -1 && state.info?.kind !== 'train') {
        // Sold out. With a place in line, not for good: the line says when a seat comes back.
        if (state.queued && state.queueToken !== null) schedulePoll(state.pollSeconds);
        else stage('none');
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
    clearTimeout(state.pollTimer);
    state.order = order;
    state.resumeOrderId = null;
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
      if (wantsBearer(answer)) return askBearer(answer, pay);
      say(msgOf(answer), 'error');
    } finally {
      $('pay-button').disabled = false;
    }
  }

  /**
   * After a reload: the order this tab made, as it is now (held: pay it; paid: its ticket). The stored id is
   * forgotten only when the order is known to be over (cancelled, expired) or unknown (404); when the server could
   * not say (503, 429, no answer) the page asks again a little later; a 401 asks for the buyer's token.
   */
  async function resumeOrder(orderId) {
    clearTimeout(state.resumeTimer);
    let answer;
    try {
      answer = await call('GET', `/orders/${encodeURIComponent(orderId)}`);
    } catch (err) {
      return resumeLater(orderId, err instanceof Error ? err.message : String(err), null);
    }
    if (wantsBearer(answer)) {
      stage('none');
      return askBearer(answer, () => resumeOrder(orderId));
    }
    if (answer.status === 404 || answer.status === 400) {
      // Unknown (or no order id at all): over for this tab, which starts again from its place in line, if any.
      state.resumeOrderId = null;
      remember();
      await backToLine();
      return say(`Order ${orderId}: ${msgOf(answer)}`, 'error');
    }
    const order = answer.status === 200 && answer.body?.code === 1 ? answer.body.data : null;
    if (order === null || typeof order !== 'object') return resumeLater(orderId, msgOf(answer), answer.retryAfter);
    if (order.status === 'cancelled' || order.status === 'expired') {
      // Over: this tab starts again, from its place in the line if it still has one.
      state.resumeOrderId = null;
      remember();
      say(`Order ${orderId} ${order.status === 'expired' ? 'expired unpaid' : 'was cancelled'}.`, 'error');
      if (state.queueToken === null) return stage('join');
      stage('wait');
      return poll();
    }
    const held = { orderId, expiresAt: order.expiresAt, status: order.status, seats: order.seats };
    if (order.status !== 'paid') return showOrder(held);
    let ticket;
    try {
      ticket = await call('GET', `/tickets/${encodeURIComponent(orderId)}`);
    } catch (err) {
      return resumeLater(orderId, err instanceof Error ? err.message : String(err), null);
    }
    if (ticket.status === 200 && ticket.body?.data?.ticket) {
      state.order = held;
      state.resumeOrderId = null;
      return showTicket(ticket.body.data.ticket);
    }
    showOrder(held);
    if (wantsBearer(ticket)) return askBearer(ticket, () => resumeOrder(orderId));
    say(msgOf(ticket), 'error');
  }

  /** The server could not say how the stored order is (busy, rate-limited, unreachable): kept, and asked again. */
  function resumeLater(orderId, why, retryAfter) {
    const after = Math.min(MAX_POLL_SECONDS, Math.max(RESUME_RETRY_SECONDS, retryAfter ?? 0));
    stage('none');
    say(`Your order ${orderId}: could not read it just now (${why}). Asking again in ${after} s.`, 'error');
    clearTimeout(state.resumeTimer);
    state.resumeTimer = setTimeout(run(() => resumeOrder(orderId)), after * 1000);
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
    $('auth').addEventListener('submit', run(useBearer));
    $('rejoin-button').addEventListener('click', run(rejoin));
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
