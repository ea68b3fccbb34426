/// The dashboard's script: confirms actions, sends the enqueue form without leaving the
/// page, and applies server-sent events (`/events`) to the live tables.
enum DashboardScript {
    static let source = #"""
    "use strict";
    (function () {
      var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
      function flash(text) {
        var f = document.getElementById("flash");
        if (f) { f.textContent = text; f.classList.remove("hidden"); }
      }
      function cell(tr, html, text) {
        var td = document.createElement("td");
        if (html) { td.appendChild(html); } else { td.textContent = text == null ? "" : text; }
        tr.appendChild(td);
      }
      function taskLink(id) {
        var a = document.createElement("a"); a.href = "/task/" + encodeURIComponent(id);
        var c = document.createElement("code"); c.textContent = id; a.appendChild(c); return a;
      }
      function stateBadge(s) {
        var b = document.createElement("span"); b.className = "state s-" + String(s).toLowerCase(); b.textContent = s; return b;
      }
      function dur(s) {
        if (s == null) { return "–"; }
        return s < 1 ? s.toFixed(3) + "s" : s < 60 ? s.toFixed(1) + "s" : Math.floor(s / 60) + "m " + Math.floor(s % 60) + "s";
      }
      function upsertTask(t) {
        var table = document.getElementById("live-tasks");
        if (table) {
          var body = table.tBodies[0];
          var empty = body.querySelector("tr.empty"); if (empty) { empty.remove(); }
          var tr = body.querySelector('tr[data-id="' + CSS.escape(t.id) + '"]');
          var fresh = document.createElement("tr"); fresh.setAttribute("data-id", t.id); fresh.setAttribute("data-state", t.state);
          cell(fresh, taskLink(t.id)); cell(fresh, null, t.name || ""); cell(fresh, stateBadge(t.state));
          cell(fresh, null, t.args || ""); cell(fresh, null, t.result || t.exception || ""); cell(fresh, null, dur(t.runtime)); cell(fresh, null, t.worker || "");
          if (tr) { tr.replaceWith(fresh); } else { body.insertBefore(fresh, body.firstChild); }
          while (body.rows.length > 50) { body.deleteRow(body.rows.length - 1); }
        }
        var detail = document.querySelector("table.detail");
        if (detail && detail.getAttribute("data-task") === t.id) {
          var st = document.getElementById("task-state");
          if (st) { st.textContent = ""; st.appendChild(stateBadge(t.state)); }
        }
      }
      function applySummary(s) {
        var table = document.getElementById("workers");
        if (!table) { return; }
        (s.workers || []).forEach(function (w) {
          Array.prototype.forEach.call(table.tBodies[0].rows, function (tr) {
            if (tr.cells[0] && tr.cells[0].textContent === w.hostname) {
              var st = tr.querySelector('[data-field="status"]');
              if (st) { st.textContent = w.online ? "online" : "offline"; st.className = w.online ? "online" : "offline"; }
              ["active", "processed", "failed"].forEach(function (k) {
                var e = tr.querySelector('[data-field="' + k + '"]'); if (e) { e.textContent = w[k]; }
              });
              var ls = tr.querySelector('[data-field="last_seen"]'); if (ls) { ls.textContent = dur(w.last_seen) + " ago"; }
            }
          });
        });
      }
      function startLive() {
        if (!window.EventSource) { return; }
        var status = document.getElementById("live-status");
        var es = new EventSource("/events");
        es.onopen = function () { if (status) { status.textContent = "live: on"; status.className = "badge on"; } };
        es.onerror = function () { if (status) { status.textContent = "live: reconnecting"; status.className = "badge"; } };
        es.addEventListener("task", function (e) { try { upsertTask(JSON.parse(e.data)); } catch (x) { } });
        es.addEventListener("summary", function (e) { try { applySummary(JSON.parse(e.data)); } catch (x) { } });
        var chart = document.getElementById("chart");
        if (chart) {
          setInterval(function () {
            fetch("/chart.svg", { credentials: "same-origin" }).then(function (r) { return r.ok ? r.text() : null; })
              .then(function (svg) { if (svg) { chart.innerHTML = svg; } });
          }, 10000);
        }
      }
      function confirmed(form) {
        var q = form.getAttribute("data-confirm");
        if (q && !window.confirm(q)) { return false; }
        var c = form.querySelector('input[name="confirmed"]');
        if (!c) { c = document.createElement("input"); c.type = "hidden"; c.name = "confirmed"; form.appendChild(c); }
        c.value = "1";
        return true;
      }
      document.addEventListener("submit", function (e) {
        var form = e.target;
        if (form.method.toLowerCase() !== "post" || form.id === "login") { return; }
        if (!confirmed(form)) { e.preventDefault(); return; }
        if (form.id !== "enqueue-form") { return; }
        e.preventDefault();
        var out = document.getElementById("enqueue-result");
        fetch(form.action, {
          method: "POST", credentials: "same-origin",
          headers: { "Accept": "application/json", "X-CSRF-Token": csrf, "Content-Type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams(new FormData(form)).toString()
        }).then(function (r) { return r.json().then(function (j) { return { ok: r.ok, j: j }; }); })
          .then(function (res) {
            if (!res.ok) { out.textContent = "error: " + (res.j.error || "failed"); out.className = "error"; return; }
            out.className = "hint"; out.textContent = res.j.message; out.setAttribute("data-task-id", res.j["task-id"]);
            var id = res.j["task-id"];
            if (!document.querySelector('#live-tasks tr[data-id="' + CSS.escape(id) + '"]')) {
              upsertTask({ id: id, name: form.elements.namedItem("name").value, state: "PENDING", args: form.elements.namedItem("args").value });
            }
          })
          .catch(function (x) { out.textContent = "error: " + x; out.className = "error"; });
      });
      if (document.body.getAttribute("data-live") === "1") { startLive(); }
    })();
    """#
}
