// fer-stream dashboard: plain browser JavaScript, served by the daemon itself (no network access needed).
// It subscribes to /ws (passing on ?token= from its own URL) and redraws each stream's faces as frames arrive.
'use strict';
(function () {
  const LABELS = ['neutral', 'anger', 'disgust', 'fear', 'happiness', 'sadness', 'surprise'];
  const COLORS = { neutral: '#8b98a5', anger: '#f85149', disgust: '#a371f7', fear: '#db61a2', happiness: '#3fb950', sadness: '#388bfd', surprise: '#d29922' };
  const TIMELINE = 300; // frames kept per track
  // A face not in the frame folds down to its title line at once, and leaves after this long (?forgetSeconds=).
  const FORGET_MS = 1000 * (Number(new URLSearchParams(location.search).get('forgetSeconds')) || 5);
  const streams = new Map(); // name -> { el, state, faces: Map(trackId -> face view), stats }

  document.getElementById('legend').innerHTML = LABELS.map((l) => `<i style="background:${COLORS[l]}"></i>${l}`).join('');

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function streamView(name) {
    let s = streams.get(name);
    if (s) return s;
    const card = el('section', 'stream');
    card.dataset.stream = name;
    const head = el('div', 'stream-head');
    const title = el('h2', '', name);
    const badge = el('span', 'badge connecting', 'connecting');
    head.append(title, badge);
    const stats = el('div', 'stats');
    // The stream's picture with its faces boxed in their labels' colours (MJPEG); hidden where the daemon has
    // the preview off for this stream (it answers 404).
    const preview = el('img', 'preview');
    preview.alt = `${name}: newest labelled picture`;
    preview.addEventListener('error', () => (preview.hidden = true));
    preview.src = `streams/${encodeURIComponent(name)}/preview.mjpeg`;
    const faces = el('div', 'faces');
    const empty = el('div', 'empty', 'no face yet');
    faces.append(empty);
    card.append(head, stats, preview, faces);
    document.getElementById('streams').append(card);
    s = { card, badge, stats, facesEl: faces, empty, faces: new Map(), frames: 0, fps: 0, times: [], dropped: 0, reconnects: 0, latency: 0 };
    streams.set(name, s);
    return s;
  }

  function faceView(s, trackId) {
    let f = s.faces.get(trackId);
    if (f) return f;
    const root = el('div', 'face');
    root.dataset.track = String(trackId);
    const head = el('div', 'face-head');
    const label = el('span', 'label', '');
    const track = el('span', 'track', `track ${trackId}`);
    head.append(label, track);
    const bars = el('div', 'bars');
    const fills = {};
    const pcts = {};
    for (const l of LABELS) {
      const bar = el('div', 'track-bar');
      const fill = el('div', 'fill');
      fill.style.background = COLORS[l];
      fill.dataset.label = l;
      bar.append(fill);
      const pct = el('span', 'pct', '0%');
      bars.append(el('span', 'name', l), bar, pct);
      fills[l] = fill;
      pcts[l] = pct;
    }
    const canvas = el('canvas', 'timeline');
    canvas.width = TIMELINE;
    canvas.height = 16;
    root.append(head, bars, canvas);
    s.facesEl.append(root);
    f = { root, label, track, fills, pcts, canvas, history: [], lastSeen: 0 };
    s.faces.set(trackId, f);
    return f;
  }

  function drawTimeline(f) {
    const ctx = f.canvas.getContext('2d');
    ctx.clearRect(0, 0, TIMELINE, 16);
    const start = TIMELINE - f.history.length;
    f.history.forEach((label, i) => {
      if (!label) return;
      ctx.fillStyle = COLORS[label];
      ctx.fillRect(start + i, 0, 1, 16);
    });
  }

  function onFrame(m) {
    const s = streamView(m.stream);
    const now = performance.now();
    s.frames++;
    s.times.push(now);
    while (s.times.length && now - s.times[0] > 3000) s.times.shift();
    s.fps = s.times.length > 1 ? ((s.times.length - 1) * 1000) / (now - s.times[0]) : 0;
    s.latency = m.latencyMs;
    const present = new Set();
    for (const face of m.faces) {
      present.add(face.trackId);
      const f = faceView(s, face.trackId);
      f.lastSeen = now;
      f.label.textContent = face.label;
      f.label.style.color = COLORS[face.label];
      f.root.style.borderTopColor = COLORS[face.label]; // the colour of its box in the preview
      f.track.innerHTML = `track ${face.trackId}${face.main ? '<span class="main">● main</span>' : ''}`;
      for (const l of LABELS) {
        const p = face.probs[l];
        f.fills[l].style.width = `${(p * 100).toFixed(1)}%`;
        f.pcts[l].textContent = `${Math.round(p * 100)}%`;
      }
    }
    for (const [id, f] of s.faces) {
      // A track out of this frame is shown faded, and is no longer the main face.
      f.root.classList.toggle('gone', !present.has(id));
      if (!present.has(id)) f.track.textContent = `track ${id} (not in frame)`;
      f.history.push(present.has(id) ? m.faces.find((x) => x.trackId === id).label : null);
      if (f.history.length > TIMELINE) f.history.shift();
      if (now - f.lastSeen > FORGET_MS) {
        f.root.remove();
        s.faces.delete(id);
      } else drawTimeline(f);
    }
    s.empty.style.display = s.faces.size ? 'none' : '';
    renderStats(s);
  }

  function renderStats(s) {
    s.stats.innerHTML = `<span><b>${s.fps.toFixed(1)}</b> fps</span><span><b>${s.latency}</b> ms latency</span><span><b>${s.dropped}</b> dropped</span><span><b>${s.reconnects}</b> reconnects</span><span><b>${s.frames}</b> frames</span>`;
  }

  function onStatus(m) {
    const s = streamView(m.stream);
    s.badge.className = `badge ${m.state}`;
    s.badge.textContent = m.state;
    s.badge.title = m.detail || '';
    s.card.dataset.state = m.state;
    s.dropped = m.framesDropped;
    s.reconnects = m.reconnects;
    renderStats(s);
  }

  function connect(delay) {
    const params = new URLSearchParams(location.search);
    const query = new URLSearchParams();
    if (params.get('token')) query.set('token', params.get('token'));
    if (params.get('stream')) query.set('stream', params.get('stream'));
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws${query.toString() ? `?${query}` : ''}`);
    const badge = document.getElementById('connection');
    ws.onopen = () => {
      badge.className = 'badge live';
      badge.textContent = 'connected';
      badge.dataset.state = 'connected';
      delay = 500;
    };
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      if (m.type === 'frame') onFrame(m);
      else if (m.type === 'status') onStatus(m);
    };
    ws.onclose = () => {
      badge.className = 'badge off';
      badge.textContent = 'disconnected, retrying';
      badge.dataset.state = 'disconnected';
      setTimeout(() => connect(Math.min(10000, delay * 2)), delay);
    };
  }
  connect(500);
})();
