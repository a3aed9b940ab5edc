/*
 * The supervisors' live wall (templates/wall/index.html, portal/wall, docs/wall.md).
 *
 * Every snapshot the /wall socket pushes (on connect, after a change — at most one a second — and every 15 s)
 * replaces the figures: [data-f="calls.waiting"] takes snapshot.total.calls.waiting (in a region row, that
 * region's), [data-age="review.oldest"] shows how long the oldest item has waited, ticking each second between
 * pushes on the server's clock (the snapshot says what time it was there), red once past its target. While the
 * socket is down the page says so and keeps the last figures; Socket.IO reconnects by itself and the server
 * sends the room's snapshot again on connect.
 */
(function () {
  'use strict';
  var board = document.getElementById('wall');
  var holder = document.getElementById('wall-config');
  if (!board || !holder) {
    return;
  }
  var config = JSON.parse(holder.getAttribute('data-json'));
  var text = config.text;
  var snap = null;
  var offset = 0;        // server time − this machine's time, in ms
  var offsets = [];      // the last pushes' estimates of it (see show)
  var receivedAt = 0;    // when the last snapshot arrived (this machine's time)
  var updates = 0;
  var TIME = { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false, timeZone: 'Asia/Ho_Chi_Minh' };
  var CLOCK = { hour: '2-digit', minute: '2-digit', hour12: false, timeZone: 'Asia/Ho_Chi_Minh' };

  function pick(source, path) {
    return path.split('.').reduce(function (value, key) {
      return value === null || value === undefined ? undefined : value[key];
    }, source);
  }

  // The total (or a region's row) plus the system-wide failed jobs, under the names the page uses.
  function figuresOf(part) {
    return { calls: part.calls, agents: part.agents, review: part.review, msale: part.msale,
             breaches: part.breaches, jobs: snap.failed_jobs, code: part.code, name: part.name };
  }

  function targetOf(path) {
    var t = snap.targets;
    return { 'calls.oldest': t.call_answer_seconds, 'review.oldest': t.review_minutes * 60,
             'msale.oldest': t.msale_minutes * 60 }[path];
  }

  function ageSeconds(iso) {
    return iso ? Math.max(0, Math.floor((Date.now() + offset - Date.parse(iso)) / 1000)) : null;
  }

  function two(n) {
    return (n < 10 ? '0' : '') + n;
  }

  // 4:05 under an hour, 1:04:05 beyond, 3 ngày 2:04 beyond a day (a failed job may wait that long).
  function formatAge(seconds) {
    if (seconds === null) {
      return '—';
    }
    var days = Math.floor(seconds / 86400);
    var h = Math.floor(seconds % 86400 / 3600);
    var m = Math.floor(seconds % 3600 / 60);
    var s = seconds % 60;
    if (days) {
      return days + ' ' + text.days + ' ' + h + ':' + two(m);
    }
    return h ? h + ':' + two(m) + ':' + two(s) : m + ':' + two(s);
  }

  function fill(scope, figures) {
    scope.querySelectorAll('[data-f]').forEach(function (el) {
      var value = pick(figures, el.getAttribute('data-f'));
      el.textContent = value === undefined || value === null ? '' : String(value);
    });
  }

  function ages(scope, figures) {
    scope.querySelectorAll('[data-age]').forEach(function (el) {
      var path = el.getAttribute('data-age');
      var seconds = ageSeconds(pick(figures, path));
      var target = targetOf(path);
      el.textContent = formatAge(seconds);
      el.classList.toggle('wall-over', seconds !== null && target !== undefined && seconds > target);
    });
  }

  // ok / warn / bad for a part, from its counts and its oldest item's age ticking here.
  function levels(f) {
    function late(path) {
      var seconds = ageSeconds(pick(f, path));
      return seconds !== null && seconds > targetOf(path);
    }
    var calls = f.calls.over || late('calls.oldest') ? 'bad' : f.calls.waiting ? 'warn' : 'ok';
    var review = f.review.over || late('review.oldest') ? 'bad' : f.review.waiting ? 'warn' : 'ok';
    var msale = f.msale.over || late('msale.oldest') ? 'bad' : f.msale.stuck ? 'warn' : 'ok';
    return {
      calls: calls, review: review, msale: msale,
      agents: f.calls.waiting && !f.agents.available ? 'warn' : 'ok',
      jobs: f.jobs.count ? 'bad' : 'ok',
      breaches: f.breaches || [calls, review, msale].indexOf('bad') >= 0 ? 'bad' : 'ok'
    };
  }

  function paintLevels(scope, f) {
    var level = levels(f);
    scope.querySelectorAll('[data-level-of]').forEach(function (el) {
      el.setAttribute('data-level', level[el.getAttribute('data-level-of')]);
    });
    return level;
  }

  function tick() {
    var clock = document.getElementById('wall-clock');
    clock.textContent = new Date(Date.now() + offset).toLocaleTimeString('vi-VN', CLOCK);
    if (!snap) {
      return;
    }
    var total = figuresOf(snap.total);
    ages(board.querySelector('.wall-tiles'), total);
    var level = levels(total);
    ['calls', 'review', 'msale', 'jobs', 'agents'].forEach(function (name) {
      document.getElementById('tile-' + name).setAttribute('data-level', level[name]);
    });
    document.getElementById('tile-sla').setAttribute('data-level', level.breaches);
    var rows = document.getElementById('wall-regions');
    if (rows) {
      snap.regions.forEach(function (region) {
        var row = rows.querySelector('tr[data-region="' + region.id + '"]');
        if (row) {
          var f = figuresOf(region);
          ages(row, f);
          paintLevels(row, f);
        }
      });
    }
  }

  // Head office: one row per region, in the snapshot's order (rebuilt only when the regions themselves change).
  function regionRows() {
    var table = document.getElementById('wall-regions');
    if (!table) {
      return;
    }
    var body = table.tBodies[0];
    var ids = snap.regions.map(function (r) { return String(r.id); });
    var shown = Array.prototype.map.call(body.rows, function (row) { return row.getAttribute('data-region'); });
    if (ids.join(',') !== shown.join(',')) {
      var template = document.getElementById('wall-region-row');
      body.textContent = '';
      ids.forEach(function (id) {
        var row = template.content.firstElementChild.cloneNode(true);
        row.setAttribute('data-region', id);
        body.appendChild(row);
      });
    }
    snap.regions.forEach(function (region) {
      fill(body.querySelector('tr[data-region="' + region.id + '"]'), figuresOf(region));
    });
  }

  function show(data) {
    snap = data;
    receivedAt = Date.now();
    // Each push says when it was cut; it arrives some milliseconds (under load, up to a second) later, so each
    // estimate is short by its own delay. The least delayed of the last eight is the best: a late push then does
    // not set the clocks and the ages back (a waiting time seen shrinking, or standing still, on the wall).
    offsets = offsets.concat([Date.parse(data.now) - receivedAt]).slice(-8);
    offset = Math.max.apply(null, offsets);
    fill(board.querySelector('.wall-tiles'), figuresOf(data.total));
    regionRows();
    var at = new Date(Date.parse(data.at)).toLocaleTimeString('vi-VN', TIME);  // when the figures were read
    document.getElementById('wall-updated').textContent = at;
    document.getElementById('wall-offline-at').textContent = at;
    updates += 1;
    board.setAttribute('data-updates', String(updates));
    tick();
  }

  function connection(state) {
    board.setAttribute('data-live', state);
    document.getElementById('wall-conn-text').textContent = text[state];
    document.getElementById('wall-offline').hidden = state !== 'offline';
  }

  show(config.snapshot);
  window.setInterval(tick, 1000);

  var socket = window.portal && window.portal.connect('/wall');
  if (!socket) {
    connection('offline');
    return;
  }
  socket.on('connect', function () { connection('online'); });
  socket.on('disconnect', function () { connection('offline'); });
  socket.on('connect_error', function () { connection('offline'); });
  socket.on('snapshot', show);
  // Pushes are at most once: if none came for three refresh periods while connected, ask for the room's snapshot.
  window.setInterval(function () {
    if (socket.connected && Date.now() - receivedAt > 3000 * config.refresh_seconds) {
      socket.emit('resync');
    }
  }, 5000);
})();
