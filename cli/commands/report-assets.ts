/** Inline style of the HTML report (no external sheet: the page works offline). */
export const REPORT_CSS = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#222}
h1{font-size:1.4rem;margin:0}h2{font-size:1.05rem;margin:1.2rem 0 .4rem}
.cards{display:flex;gap:.8rem;flex-wrap:wrap;margin-top:1rem}
.card{border-left:6px solid #1565c0;background:#f5f5f5;padding:.5rem .9rem}.card .n{font-size:1.4rem;font-weight:600;margin-right:.3rem}
.tops{display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:1rem}
table{border-collapse:collapse}td,th{padding:.2rem .5rem;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
td.n{text-align:right}.top td:first-child{word-break:break-all}
#findings{width:100%;font-size:13px}#findings th{cursor:pointer;user-select:none;background:#fafafa;position:sticky;top:0}
#findings td{max-width:28rem;overflow-wrap:anywhere;white-space:pre-wrap}
th[aria-sort=ascending]::after{content:" \\25B2"}th[aria-sort=descending]::after{content:" \\25BC"}
tr[data-severity=critical] td:nth-child(3),tr[data-severity=high] td:nth-child(3){color:#c62828;font-weight:600}
.controls{margin:.4rem 0;display:flex;gap:.6rem;align-items:center}.note{color:#666;font-size:12px}
.key{margin-right:.8rem;font-size:12px}.key i{display:inline-block;width:.8rem;height:.8rem;margin-right:.25rem;vertical-align:middle}
`;

/**
 * The report's only script: draws the findings table from the page's JSON with textContent (no
 * markup from data, ever), sorts on a heading click, filters on text and severity. Filters and
 * sort can be given in the address (`#q=alice&severity=high&sort=eventTime&dir=asc`) to share a view.
 * Kept constant: the page's Content-Security-Policy allows it by hash.
 */
export const REPORT_SCRIPT = `(function () {
  'use strict';
  var SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'];
  var data = JSON.parse(document.getElementById('data').textContent);
  var table = document.getElementById('findings');
  var body = table.querySelector('tbody');
  var heads = Array.prototype.slice.call(table.querySelectorAll('th'));
  var keys = heads.map(function (th) { return th.getAttribute('data-key'); });
  var filter = document.getElementById('filter');
  var severity = document.getElementById('severity');
  var shown = document.getElementById('shown');
  var params = new URLSearchParams(location.hash.slice(1));
  var state = { q: params.get('q') || '', severity: params.get('severity') || '', sort: params.get('sort') || 'eventTime', dir: params.get('dir') === 'asc' ? 1 : -1 };
  if (keys.indexOf(state.sort) < 0) state.sort = 'eventTime';
  filter.value = state.q;
  severity.value = state.severity;
  function value(row, key) { return key === 'severity' ? SEVERITIES.indexOf(row.severity) : String(row[key]); }
  function compare(a, b) {
    var x = value(a, state.sort), y = value(b, state.sort);
    var order = x < y ? -1 : x > y ? 1 : 0;
    return order * state.dir || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  }
  function render() {
    var q = state.q.toLowerCase();
    var rows = data.filter(function (row) {
      if (state.severity && row.severity !== state.severity) return false;
      return !q || keys.some(function (k) { return String(row[k]).toLowerCase().indexOf(q) >= 0; });
    }).sort(compare);
    var fragment = document.createDocumentFragment();
    rows.forEach(function (row) {
      var tr = document.createElement('tr');
      tr.className = 'finding';
      tr.setAttribute('data-severity', row.severity);
      tr.title = row.title;
      keys.forEach(function (k) {
        var td = document.createElement('td');
        td.textContent = row[k];
        tr.appendChild(td);
      });
      fragment.appendChild(tr);
    });
    body.textContent = '';
    body.appendChild(fragment);
    shown.textContent = rows.length + ' of ' + data.length + ' shown';
    heads.forEach(function (th) {
      if (th.getAttribute('data-key') === state.sort) th.setAttribute('aria-sort', state.dir > 0 ? 'ascending' : 'descending');
      else th.removeAttribute('aria-sort');
    });
  }
  heads.forEach(function (th) {
    th.addEventListener('click', function () {
      var key = th.getAttribute('data-key');
      state.dir = state.sort === key ? -state.dir : key === 'eventTime' || key === 'severity' ? -1 : 1;
      state.sort = key;
      render();
    });
  });
  filter.addEventListener('input', function () { state.q = filter.value; render(); });
  severity.addEventListener('change', function () { state.severity = severity.value; render(); });
  render();
  document.body.setAttribute('data-rendered', String(data.length));
})();`;
