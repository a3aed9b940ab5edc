/*
 * A list kept live by the server: <div id="…" data-src="partial URL" data-live-namespace="/shipping"
 * data-live-event="order_moved">. When the socket says a record moved, re-read the partial for the filters on
 * screen (htmx) — no reload — and mark the rows that moved (tr[data-order], or tr[data-row] for an event's
 * row_id). After a reconnect the list is re-read too: Socket.IO delivers at most once, the truth is in the database. A partial may carry
 * [data-nav-count-for="endpoint"][data-count="n"]: the count beside that menu entry follows it.
 * Used by the order board, the store pickup screen and the review queue.
 */
(function () {
  'use strict';
  if (!window.portal || !window.htmx) {
    return;
  }

  function keepLive(list) {
    var timer = null;
    var moved = {};

    function refresh() {
      timer = null;
      var url = list.getAttribute('data-src') + window.location.search;
      window.htmx.ajax('GET', url, { target: '#' + list.id, swap: 'innerHTML' }).then(function () {
        Object.keys(moved).forEach(function (id) {
          var row = list.querySelector('tr[data-order="' + id + '"], tr[data-row="' + id + '"]');
          if (row) {
            row.classList.add('board-row-moved');
          }
        });
        moved = {};
        list.querySelectorAll('[data-nav-count-for]').forEach(function (source) {
          var badge = document.querySelector('[data-nav-count="' + source.getAttribute('data-nav-count-for') + '"]');
          if (badge) {
            badge.textContent = source.getAttribute('data-count');
            badge.hidden = source.getAttribute('data-count') === '0';
          }
        });
        list.setAttribute('data-refreshed', String(Date.now()));
      });
    }

    function soon() {
      if (!timer) {
        timer = window.setTimeout(refresh, 250);  // a burst of moves is one re-read
      }
    }

    var socket = window.portal.connect(list.getAttribute('data-live-namespace'));
    if (!socket) {
      return;
    }
    var connectedOnce = false;
    socket.on('connect', function () {
      if (connectedOnce) {
        soon();
      }
      connectedOnce = true;
      list.setAttribute('data-live', 'online');
    });
    socket.on(list.getAttribute('data-live-event'), function (data) {
      var id = data && (data.order_id || data.row_id);
      if (id) {
        moved[id] = true;
      }
      soon();
    });
  }

  document.querySelectorAll('[data-live-namespace]').forEach(keepLive);
})();
