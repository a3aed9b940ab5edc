/*
 * The order board's live updates: when the server says an order moved (/shipping, "order_moved"),
 * re-read the tabs and rows for the filters on screen (htmx) — no reload. After a reconnect the
 * board is re-read too: Socket.IO delivers at most once, the truth is in the database.
 */
(function () {
  'use strict';
  var board = document.getElementById('board');
  if (!board || !window.portal || !window.htmx) {
    return;
  }
  var timer = null;
  var moved = {};

  function refresh() {
    timer = null;
    var url = board.getAttribute('data-src') + window.location.search;
    window.htmx.ajax('GET', url, { target: '#board', swap: 'innerHTML' }).then(function () {
      Object.keys(moved).forEach(function (id) {
        var row = board.querySelector('tr[data-order="' + id + '"]');
        if (row) {
          row.classList.add('board-row-moved');
        }
      });
      moved = {};
      board.setAttribute('data-refreshed', String(Date.now()));
    });
  }

  function soon() {
    if (!timer) {
      timer = window.setTimeout(refresh, 250);  // a burst of moves is one re-read
    }
  }

  var socket = window.portal.connect('/shipping');
  if (!socket) {
    return;
  }
  var connectedOnce = false;
  socket.on('connect', function () {
    if (connectedOnce) {
      soon();
    }
    connectedOnce = true;
    board.setAttribute('data-live', 'online');
  });
  socket.on('order_moved', function (data) {
    if (data && data.order_id) {
      moved[data.order_id] = true;
    }
    soon();
  });
})();
