/* global window, document, fetch */
// scimd console: progressive enhancement only; every page works without this script.
// A run still going shows its counters live: the page polls the run's progress (JSON, same origin,
// the session cookie) every two seconds and reloads once the run has finished.
(function () {
  'use strict';
  var section = document.querySelector('[data-progress]');
  if (!section) return;
  var url = section.getAttribute('data-progress');
  var grouping = new Intl.NumberFormat('en-US');
  var timer = window.setInterval(poll, 2000);

  function poll() {
    fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (response) {
        if (!response.ok) throw new Error('progress ' + response.status);
        return response.json();
      })
      .then(function (progress) {
        Object.keys(progress.counters).forEach(function (key) {
          var cell = section.querySelector('[data-counter="' + key + '"] data');
          if (!cell) return;
          cell.value = String(progress.counters[key]);
          cell.textContent = grouping.format(progress.counters[key]);
        });
        if (progress.status !== 'running') {
          window.clearInterval(timer);
          window.location.reload();
        }
      })
      .catch(function () {
        // Signed out or the server is away: stop polling; the Refresh link still works.
        window.clearInterval(timer);
      });
  }
})();
