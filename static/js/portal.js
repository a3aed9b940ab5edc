/*
 * Chọn số Online back office: the small amount of JavaScript every page shares.
 *
 * Loaded from /static (CSP: script-src 'self' 'nonce-…'), after Bootstrap, htmx
 * and, on signed-in pages, the Socket.IO client. No inline handlers anywhere:
 * behaviour hangs off data attributes and ids.
 *
 * Later pages subscribe to real-time events through window.portal:
 *   portal.on('notice', handler)               // an event on /staff
 *   const desk = portal.connect('/desk');       // another namespace, same status dot
 *   desk.on('offer', handler);
 */
(function () {
  'use strict';

  // --- htmx ------------------------------------------------------------------
  if (window.htmx) {
    // htmx injects a <style> block for .htmx-indicator at load; the CSP
    // (style-src 'self') refuses it, so portal.css carries those rules instead.
    // This runs before DOMContentLoaded, when htmx reads its config.
    window.htmx.config.includeIndicatorStyles = false;

    // Flask-WTF checks the CSRF token on every POST: htmx requests send it as a header.
    document.addEventListener('htmx:configRequest', function (event) {
      var meta = document.querySelector('meta[name="csrf-token"]');
      if (meta) {
        event.detail.headers['X-CSRFToken'] = meta.content;
      }
    });
  }

  // --- <form data-confirm="…"> -------------------------------------------------
  // Capture phase, so that a "no" also stops htmx from handling the submit.
  document.addEventListener('submit', function (event) {
    var form = event.target;
    var question = form instanceof HTMLFormElement && form.getAttribute('data-confirm');
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);

  // --- Dates and times: dd/mm/yyyy, 24 hours ----------------------------------------
  // Native date and time inputs follow the browser's language (an English Chromium: mm/dd/yyyy and 05:00 PM),
  // while everything the portal prints reads dd/mm/yyyy and 17:00. flatpickr (static/vendor/flatpickr) shows and
  // takes those, with a Vietnamese calendar on Vietnamese pages, and submits the value the forms read (ISO dates,
  // HH:MM). The visible input takes the field's id (its label points at it); without flatpickr the native stays.
  var PICKERS = {
    date: { dateFormat: 'Y-m-d', altFormat: 'd/m/Y', placeholder: 'dd/mm/yyyy' },
    'datetime-local': { dateFormat: 'Y-m-d\\TH:i', altFormat: 'd/m/Y H:i', enableTime: true,
                        placeholder: 'dd/mm/yyyy hh:mm' },
    time: { dateFormat: 'H:i', altFormat: 'H:i', enableTime: true, noCalendar: true, placeholder: 'hh:mm' }
  };
  function dayMonthYear(root) {
    if (!window.flatpickr) {
      return;
    }
    var vietnamese = document.documentElement.lang === 'vi' && window.flatpickr.l10ns.vn;
    var inputs = root.querySelectorAll('input[type="date"], input[type="datetime-local"], input[type="time"]');
    Array.prototype.forEach.call(inputs, function (input) {
      var kind = PICKERS[input.type];
      var picker = window.flatpickr(input, {
        locale: vietnamese ? 'vn' : 'default',
        dateFormat: kind.dateFormat,
        altInput: true,
        altFormat: kind.altFormat,
        enableTime: Boolean(kind.enableTime),
        noCalendar: Boolean(kind.noCalendar),
        time_24hr: true,
        allowInput: true,
        disableMobile: true
      });
      picker.altInput.placeholder = kind.placeholder;
      picker.altInput.setAttribute('inputmode', 'numeric');
      if (input.id) {
        picker.altInput.id = input.id;
        input.id = input.id + '-iso';
      }
    });
  }
  if (window.htmx) {
    window.htmx.onLoad(dayMonthYear);  // the page, then whatever htmx swaps in
  } else {
    dayMonthYear(document);
  }

  // --- Real time -----------------------------------------------------------------
  var sockets = {};   // namespace -> socket
  var states = {};    // namespace -> 'connecting' | 'online' | 'offline'
  var RELOAD_KEY = 'portal.socketReloadAt';

  // One dot for all of the page's sockets: it shows the worst of their states.
  function showStatus() {
    var dot = document.getElementById('socket-status');
    if (!dot) {
      return;
    }
    var values = Object.keys(states).map(function (ns) { return states[ns]; });
    var state = values.indexOf('offline') >= 0 ? 'offline'
      : values.indexOf('connecting') >= 0 ? 'connecting' : 'online';
    dot.setAttribute('data-state', state);
  }

  function setState(namespace, state) {
    states[namespace] = state;
    showStatus();
  }

  // The server ended our session (signed out elsewhere, locked, role changed…):
  // reload, and the server answers with the sign-in page saying why. At most one
  // reload every 10 s, so that a socket refused for another reason cannot loop.
  function reloadForSignIn() {
    var last = Number(window.sessionStorage.getItem(RELOAD_KEY) || 0);
    if (Date.now() - last < 10000) {
      return;
    }
    window.sessionStorage.setItem(RELOAD_KEY, String(Date.now()));
    window.location.reload();
  }

  function connect(namespace) {
    if (sockets[namespace]) {
      return sockets[namespace];
    }
    var socket = window.io(namespace, { transports: ['websocket', 'polling'] });
    sockets[namespace] = socket;
    setState(namespace, 'connecting');

    socket.on('connect', function () {
      setState(namespace, 'online');
    });
    socket.on('connect_error', function (error) {
      setState(namespace, 'offline');
      if (error && error.message === 'unauthenticated') {
        reloadForSignIn();
      }
    });
    socket.on('disconnect', function (reason) {
      setState(namespace, 'offline');
      if (reason === 'io server disconnect') {
        reloadForSignIn();
      }
    });
    // The manager retries on its own; show that it is trying.
    socket.io.on('reconnect_attempt', function () {
      setState(namespace, 'connecting');
    });
    return socket;
  }

  // Only signed-in pages load the Socket.IO client; elsewhere portal.socket is
  // null and subscribing does nothing, so page scripts need not check.
  var staff = window.io ? connect('/staff') : null;
  window.portal = {
    socket: staff,
    connect: function (namespace) {
      return window.io ? connect(namespace) : null;
    },
    on: function (event, handler) {
      if (staff) {
        staff.on(event, handler);
      }
      return staff;
    }
  };
})();
