/// The example's one page and its script (plain JavaScript served by the app: no CDN, no
/// framework). It posts a signup as JSON, uploads an image as a raw body, then polls
/// `/jobs/<id>` twice a second, showing the state and a progress bar, and finally the thumbnail.
/// Every `POST` sends the session's CSRF token (from `<meta name="csrf-token">`) as `X-CSRF-Token`.
enum WebAppPage {
    /// The page for a session whose CSRF token is `csrfToken` (hex digits; empty for basic auth).
    static func html(csrfToken: String) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>swift-celery web app</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="csrf-token" content="\(WebAppLogin.esc(csrfToken))">
        <style>
        body { font: 15px/1.4 system-ui, sans-serif; max-width: 40em; margin: 2em auto; padding: 0 1em; color: #222; }
        fieldset { border: 1px solid #ccc; border-radius: 6px; margin: 1em 0; padding: 1em; }
        label { display: block; margin: .3em 0; } input[type=text], input[type=email] { width: 100%; }
        progress { width: 100%; height: 1.2em; } .state { font-weight: bold; } .error { color: #b00; }
        img { image-rendering: pixelated; border: 1px solid #ccc; margin-top: .5em; }
        code { background: #f3f3f3; padding: 0 .2em; }
        header { display: flex; justify-content: space-between; align-items: baseline; }
        </style></head>
        <body>
        <header><h1>swift-celery web app</h1>
        <form method="post" action="/logout" id="logout"><input type="hidden" name="csrf_token" value="\(WebAppLogin.esc(csrfToken))">
        <button>Sign out</button></form></header>
        <p>Each form answers at once with <code>202 Accepted</code> and a job URL; a Celery task does the work
        and this page polls <code>/jobs/&lt;id&gt;</code> for its state and progress.</p>
        <fieldset><legend>Sign up (a task writes the welcome mail)</legend>
          <form id="signup"><label>Name <input type="text" name="name" required maxlength="100"></label>
          <label>E-mail <input type="email" name="email" required></label><button>Sign up</button></form>
          <div id="signup-job"></div>
        </fieldset>
        <fieldset><legend>Thumbnail (a task scales the image)</legend>
          <form id="thumb"><label>PNG or PPM image <input type="file" name="image" accept="image/png,.ppm,.pgm" required></label>
          <label>Longest side <input type="number" name="max_side" value="128" min="1" max="1024"></label>
          <label><input type="checkbox" name="slow"> slow (pause between steps, to watch the progress)</label>
          <button>Upload</button></form>
          <div id="thumb-job"></div>
        </fieldset>
        <script src="/app.js"></script>
        </body></html>
        """
    }

    static let script = """
        "use strict";
        const csrf = document.querySelector('meta[name="csrf-token"]').content;
        function show(box, html) { document.getElementById(box).innerHTML = html; }
        function esc(s) { return String(s).replace(/[&<>"]/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})[c]); }
        async function answer(r) {
          if (r.status === 401) { location.href = "/login?next=/"; throw new Error("signed out: sign in again"); }
          const body = await r.json().catch(() => ({error: "HTTP " + r.status}));
          if (!r.ok) throw new Error(body.error || ("HTTP " + r.status));
          return body;
        }
        async function poll(box, job, done) {
          for (;;) {
            let s;
            try { s = await answer(await fetch(job.job)); } catch (e) { show(box, '<p class="error">' + esc(e.message) + '</p>'); return; }
            const pct = s.progress && s.progress.percent != null ? s.progress.percent : 0;
            let html = '<p>job <code>' + esc(s.id) + '</code>: <span class="state">' + esc(s.state) + '</span>' +
              (s.runtime != null ? ' in ' + s.runtime.toFixed(3) + ' s' : '') + '</p><progress max="100" value="' + pct + '"></progress>';
            if (s.state === "SUCCESS") { show(box, html + done(s)); return; }
            if (s.state === "FAILURE" || s.state === "REVOKED") {
              show(box, html + '<p class="error">' + esc(s.error ? s.error.type + ": " + s.error.message : s.state) + '</p>'); return;
            }
            show(box, html);
            await new Promise(r => setTimeout(r, 500));
          }
        }
        document.getElementById("signup").addEventListener("submit", async ev => {
          ev.preventDefault();
          const f = new FormData(ev.target);
          try {
            const job = await answer(await fetch("/signup", {method: "POST", headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
              body: JSON.stringify({name: f.get("name"), email: f.get("email")})}));
            poll("signup-job", job, s => '<p>mail written to <code>' + esc(s.result.path) + '</code></p>');
          } catch (e) { show("signup-job", '<p class="error">' + esc(e.message) + '</p>'); }
        });
        document.getElementById("thumb").addEventListener("submit", async ev => {
          ev.preventDefault();
          const f = new FormData(ev.target);
          const file = f.get("image");
          const q = "?max_side=" + encodeURIComponent(f.get("max_side")) + (f.get("slow") ? "&pause_ms=300" : "");
          try {
            const job = await answer(await fetch("/thumbnails" + q, {method: "POST",
              headers: {"Content-Type": file.type || "application/octet-stream", "X-CSRF-Token": csrf}, body: file}));
            poll("thumb-job", job, s => '<p>' + s.result.source_width + '×' + s.result.source_height + ' → ' +
              s.result.width + '×' + s.result.height + ' (' + s.result.bytes + ' bytes)</p>' +
              (s.result.format === "png" ? '<img alt="thumbnail" src="' + esc(job.thumbnail) + '">' : ''));
          } catch (e) { show("thumb-job", '<p class="error">' + esc(e.message) + '</p>'); }
        });
        """
}
