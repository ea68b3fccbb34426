/// The dashboard's own stylesheet and script (no framework, no CDN), served from memory.
enum StaticAssets {
    struct Asset {
        var type: String
        var body: String
    }

    static func named(_ name: String) -> Asset? {
        switch name {
        case "dashboard.css": return Asset(type: "text/css; charset=utf-8", body: css)
        case "dashboard.js": return Asset(type: "text/javascript; charset=utf-8", body: DashboardScript.source)
        default: return nil
        }
    }

    static let css = """
        body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#222;background:#fff}
        header{display:flex;gap:1em;align-items:center;padding:.6em 1em;background:#24323f;color:#fff}
        header nav a{color:#cfe;margin-right:.8em;text-decoration:none}header nav a.active{color:#fff;font-weight:bold;border-bottom:2px solid #fff}
        main{padding:0 1em 2em}h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.4em}
        table{border-collapse:collapse;margin:.4em 0;min-width:40%}th,td{border-bottom:1px solid #e3e3e3;padding:.25em .6em;text-align:left;vertical-align:top}
        th{background:#f4f6f8}table.detail th{width:9em}pre{margin:0;white-space:pre-wrap;max-width:70em}
        .badge{font-size:.8em;padding:.1em .5em;border-radius:.6em;background:#556}.badge.ro{background:#a60}.badge.on{background:#2e8b57}
        .state{padding:.05em .45em;border-radius:.4em;background:#ddd;font-size:.9em}.s-success{background:#c8ecd4}.s-failure{background:#f6c9c4}
        .s-started,.s-received{background:#fde9b8}.s-revoked{background:#ddd;text-decoration:line-through}.s-retry{background:#f9d9a8}
        .online{color:#2e8b57;font-weight:bold}.offline{color:#c0392b;font-weight:bold}.warn{color:#a60}
        form.inline{display:inline-block;margin:.15em .3em .15em 0}form.enqueue label,form.filters label{margin-right:.6em}
        .flash{background:#eef6ff;border:1px solid #bcd;padding:.4em .7em}.hidden{display:none}.error{color:#c0392b}
        .hint{color:#667;font-size:.9em}.chart{width:100%;max-width:760px;height:auto}.num{font-variant-numeric:tabular-nums}
        button{cursor:pointer}button[disabled]{cursor:not-allowed}
        """
}
