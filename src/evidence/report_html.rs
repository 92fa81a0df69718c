//! `evidence report --out FILE`: the report as one self-contained HTML
//! page an assessor opens offline — inline CSS, a timeline per check as
//! inline SVG, no script, no external asset, nothing fetched.
//!
//! Owns: the page. Must never: print a value from a bundle unescaped
//! (details, reasons and ids come from the appliance and, for refused
//! orders, from whoever sent the envelope).

use super::report::{Report, State};
use std::fmt::Write;

/// HTML-escapes `s` for text and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#111;padding:0 1em}\
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}\
table{border-collapse:collapse;width:100%;margin:.5em 0}th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}\
th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}code{font-size:.9em}\
.ok{color:#1a7f37}.bad{color:#b42318}.warn{color:#9a6700}.muted{color:#666}\
.legend span{display:inline-block;width:1em;height:1em;vertical-align:middle;margin:0 .3em 0 1em}\
svg{display:block;margin:.2em 0 1em}@media print{body{margin:0}}";

fn color(s: State) -> &'static str {
    match s {
        State::Compliant => "#2da44e",
        State::Drift => "#cf222e",
        State::Error => "#bf8700",
        State::Unknown => "#d0d7de",
    }
}

fn pct(x: f64) -> String {
    format!("{:.2} %", x * 100.0)
}

fn dur(secs: i64) -> String {
    let (d, h, m, s) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60, secs % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s} s"),
        (0, 0, _) => format!("{m} min {s} s"),
        (0, _, _) => format!("{h} h {m} min"),
        _ => format!("{d} d {h} h {m} min"),
    }
}

fn opt(s: &Option<String>) -> String {
    s.as_deref().map(esc).unwrap_or_else(|| "—".into())
}

/// The page.
pub fn render(r: &Report) -> String {
    let mut h = String::new();
    let site = r.built_from.site_ids.iter().cloned().collect::<Vec<_>>().join(", ");
    let appl = r.built_from.appliance_ids.iter().cloned().collect::<Vec<_>>().join(", ");
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
<title>Compliance evidence report: {site} / {appl}</title><style>{STYLE}</style></head><body>\n\
<h1>Compliance evidence report</h1>\n<p>Site <b>{site}</b>, appliance <b>{appl}</b>, from {} to {} ({}).</p>\n",
        esc(&r.period.since),
        esc(&r.period.until),
        dur(r.period.duration_secs),
        site = esc(&site),
        appl = esc(&appl),
    );
    built_from(&mut h, r);
    checks(&mut h, r);
    episodes(&mut h, r);
    actions(&mut h, r);
    records(&mut h, r);
    let _ = write!(
        h,
        "<p class=\"muted\">Generated {} by compliance-agent <code>evidence report</code>. Report format {}; docs/report.md in the agent's source explains every figure.</p>\n</body></html>\n",
        esc(&r.generated_at),
        esc(r.schema)
    );
    h
}

fn built_from(h: &mut String, r: &Report) {
    let b = &r.built_from;
    let join = |s: &std::collections::BTreeSet<String>| esc(&s.iter().cloned().collect::<Vec<_>>().join(", "));
    let _ = write!(
        h,
        "<h2>Built from</h2>\n<table>\
<tr><th>evidence</th><td>{}</td></tr>\
<tr><th>chain</th><td class=\"ok\">verified: every signature, seq and hash link (seq {}..={}, {} bundles, {} to {})</td></tr>\
<tr><th>evidence key</th><td><code>{}</code> (SHA-256 of the public key's DER){}</td></tr>\
<tr><th>agent builds</th><td>{}</td></tr>\
<tr><th>period</th><td>{} to {}: {} bundles; a gap is more than {} without any bundle</td></tr></table>\n",
        esc(&b.source),
        b.seq_first,
        b.seq_last,
        b.bundles,
        esc(&b.first_bundle_at),
        esc(&b.last_bundle_at),
        esc(&b.key_fingerprint),
        b.key_changes.iter().map(|c| format!("<br>key change {}", esc(c))).collect::<String>(),
        join(&b.agent_builds),
        esc(&r.period.since),
        esc(&r.period.until),
        r.period.bundles,
        dur(r.period.max_gap_secs),
    );
}

fn checks(h: &mut String, r: &Report) {
    h.push_str("<h2>Checks and controls</h2>\n<table><tr><th>check</th><th>HIPAA (45 CFR)</th><th>NIST SP 800-53 r5</th><th>compliant</th><th>drift</th><th>error</th><th>unknown</th><th>episodes</th><th>at the end</th></tr>\n");
    for c in &r.checks {
        let _ = writeln!(
            h,
            "<tr><td><b>{}</b></td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{:?}</td></tr>",
            c.check.as_str(),
            esc(&c.hipaa.join(", ")),
            esc(&c.nist.join(", ")),
            pct(c.compliant_share),
            pct(c.drift_share),
            pct(c.error_share),
            pct(c.unknown_share),
            c.episodes,
            c.state_at_end
        );
    }
    h.push_str("</table>\n<p class=\"legend\">Timelines:");
    for s in [State::Compliant, State::Drift, State::Error, State::Unknown] {
        let _ = write!(h, "<span style=\"background:{}\"></span>{s:?}", color(s));
    }
    h.push_str("</p>\n");
    let (since, until) = (r.period.since_ms, r.period.until_ms);
    let span = (until - since).max(1) as f64;
    let width = 1000.0;
    for c in &r.checks {
        let _ = write!(
            h,
            "<div><b>{}</b><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"100%\" viewBox=\"0 0 {width} 34\" role=\"img\" aria-label=\"{} timeline\">",
            c.check.as_str(),
            c.check.as_str()
        );
        for s in &c.segments {
            let x = (s.from_ms - since) as f64 / span * width;
            let w = ((s.until_ms - s.from_ms) as f64 / span * width).max(0.5);
            let _ = write!(
                h,
                "<rect x=\"{x:.2}\" y=\"2\" width=\"{w:.2}\" height=\"18\" fill=\"{}\"><title>{:?} {} to {}</title></rect>",
                color(s.state),
                s.state,
                esc(&s.from),
                esc(&s.until)
            );
        }
        let _ = writeln!(
            h,
            "<text x=\"0\" y=\"32\" font-size=\"10\">{}</text><text x=\"{width}\" y=\"32\" font-size=\"10\" text-anchor=\"end\">{}</text></svg></div>",
            esc(&r.period.since),
            esc(&r.period.until)
        );
    }
}

fn episodes(h: &mut String, r: &Report) {
    let _ = writeln!(h, "<h2>Drift episodes ({})</h2>", r.episodes.len());
    if r.episodes.is_empty() {
        h.push_str("<p>None: every check was compliant whenever it was known.</p>\n");
        return;
    }
    h.push_str("<table><tr><th>check</th><th>start</th><th>end</th><th>duration</th><th>how it ended</th><th>verdicts</th><th>remediations (seq)</th><th>alerts</th></tr>\n");
    for e in &r.episodes {
        let class = match e.ending {
            "healed" | "deferred_then_healed" => "ok",
            "cleared" => "warn",
            _ => "bad",
        };
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}{}</td><td>{}</td><td>{}</td><td class=\"{class}\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            e.check.as_str(),
            esc(&e.start),
            if e.began_before_period { " (before the period)" } else { "" },
            e.end.as_deref().map(esc).unwrap_or_else(|| "still open".into()),
            dur(e.duration_secs),
            e.ending.replace('_', " "),
            e.verdicts.iter().copied().collect::<Vec<_>>().join(", "),
            e.remediations.iter().map(u64::to_string).collect::<Vec<_>>().join(", "),
            esc(&e.alerts.iter().cloned().collect::<Vec<_>>().join(", ")),
        );
    }
    h.push_str("</table>\n");
}

fn actions(h: &mut String, r: &Report) {
    let _ = writeln!(h, "<h2>Remediations ({})</h2>", r.remediations.len());
    if !r.remediations.is_empty() {
        h.push_str("<table><tr><th>seq</th><th>started</th><th>check</th><th>outcome</th><th>reason</th><th>order</th><th>took</th><th>detail</th></tr>\n");
        for m in &r.remediations {
            let _ = writeln!(
                h,
                "<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                m.seq,
                esc(&m.at),
                opt(&m.check),
                esc(&m.outcome),
                opt(&m.reason),
                opt(&m.order_id),
                dur(m.duration_secs),
                opt(&m.detail)
            );
        }
        h.push_str("</table>\n");
    }
    let _ = writeln!(h, "<h2>Orders ({})</h2>", r.orders.len());
    if !r.orders.is_empty() {
        h.push_str("<table><tr><th>seq</th><th>at</th><th>order</th><th>action</th><th>key</th><th>outcome</th><th>reason</th></tr>\n");
        for o in &r.orders {
            let _ = writeln!(
                h,
                "<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                o.seq,
                esc(&o.at),
                opt(&o.order_id),
                opt(&o.action),
                opt(&o.keyid),
                esc(&o.outcome),
                opt(&o.reason)
            );
        }
        h.push_str("</table>\n");
    }
    let _ = writeln!(h, "<h2>Refused orders by reason ({})</h2>", r.refused_orders.len());
    if !r.refused_orders.is_empty() {
        h.push_str(
            "<table><tr><th>reason</th><th>bundles</th><th>distinct envelopes</th><th>first</th><th>last</th></tr>\n",
        );
        for x in &r.refused_orders {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td></tr>",
                esc(&x.reason),
                x.bundles,
                x.envelopes,
                esc(&x.first),
                esc(&x.last)
            );
        }
        h.push_str("</table>\n");
    }
}

fn records(h: &mut String, r: &Report) {
    let _ = writeln!(h, "<h2>Gaps in the record ({})</h2>", r.gaps.len());
    if r.gaps.is_empty() {
        h.push_str("<p>None: evidence was written throughout the period.</p>\n");
    } else {
        h.push_str(
            "<table><tr><th>from</th><th>until</th><th>duration</th><th>where</th><th>after a clean stop</th></tr>\n",
        );
        for g in &r.gaps {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&g.from),
                esc(&g.until),
                dur(g.duration_secs),
                g.position.replace('_', " "),
                if g.after_clean_stop { "yes" } else { "no" }
            );
        }
        h.push_str("</table>\n");
    }
    let _ = writeln!(h, "<h2>Alerts ({})</h2>", r.alerts.len());
    if !r.alerts.is_empty() {
        h.push_str("<table><tr><th>reason</th><th>bundles</th><th>first</th><th>last</th></tr>\n");
        for a in &r.alerts {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td></tr>",
                esc(&a.reason),
                a.bundles,
                esc(&a.first),
                esc(&a.last)
            );
        }
        h.push_str("</table>\n");
    }
    h.push_str("<h2>Evidence delivery</h2>\n");
    let d = &r.delivery;
    if d.known {
        let _ = writeln!(
            h,
            "<table><tr><th>bundles in the period</th><td class=\"n\">{}</td></tr>\
<tr><th>receipted by the MCP (its receipt named the bundle's SHA-256)</th><td class=\"n\">{}</td></tr>\
<tr><th>pending</th><td class=\"n\">{}</td></tr><tr><th>oldest pending</th><td>{}</td></tr>\
<tr><th>bundle to receipt, median / longest</th><td>{} / {}</td></tr></table>",
            d.bundles,
            d.receipted.unwrap_or(0),
            d.pending.unwrap_or(0),
            opt(&d.oldest_pending),
            d.median_delay_secs.map(dur).unwrap_or_else(|| "—".into()),
            d.max_delay_secs.map(dur).unwrap_or_else(|| "—".into()),
        );
    } else {
        let _ = writeln!(h, "<p class=\"warn\">Unknown: {}.</p>", opt(&d.note));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_from_bundles_are_escaped_on_the_page() {
        use super::super::report::{Builder, Options};
        use super::super::verified::{Bundle, Chain};
        let hostile = "<script>alert(1)</script><img src=x onerror=y>";
        let bundles = [
            serde_json::json!({"seq": 1, "kind": "cycle", "site_id": hostile, "appliance_id": "a", "agent": {"version": hostile, "build": "b"},
                "finished_at": "2026-11-01T00:00:00.000Z", "outcome": "success", "results": {"services": {"verdict": "compliant"}}}),
            serde_json::json!({"seq": 2, "kind": "remediation", "check": "services", "site_id": "s", "appliance_id": "a", "agent": {},
                "started_at": "2026-11-01T01:00:00.000Z", "finished_at": "2026-11-01T01:00:05.000Z", "outcome": "failed",
                "reason": hostile, "detail": hostile, "order": null}),
            serde_json::json!({"seq": 3, "kind": "order", "site_id": "s", "appliance_id": "a", "agent": {},
                "finished_at": "2026-11-01T02:00:00.000Z", "outcome": "rejected", "reason": hostile,
                "order": {"order_id": hostile, "keyid": hostile, "action": hostile, "envelope_sha256": "00"}}),
            serde_json::json!({"seq": 4, "kind": "alert", "check": "services", "site_id": "s", "appliance_id": "a", "agent": {},
                "finished_at": "2026-11-01T03:00:00.000Z", "outcome": "alert", "reason": hostile}),
        ];
        let mut b = Builder::new(Options { since_ms: None, until_ms: None, max_gap_ms: 3_900_000 });
        for (i, json) in bundles.into_iter().enumerate() {
            b.push(&Bundle { seq: i as u64 + 1, sha256: "00".into(), json, pushed_ms: None });
        }
        let chain = Chain {
            source: hostile.into(),
            delivery_known: false,
            bundles: 4,
            seq_range: (1, 4),
            key_fingerprint: "00".into(),
            key_changes: vec![hostile.into()],
        };
        let r = b.finish(&chain, 0);
        assert_eq!(r.episodes.len(), 1);
        assert_eq!((r.episodes[0].ending, r.episodes[0].end.is_none()), ("failed", true));
        assert_eq!(r.orders.len(), 1);
        assert_eq!(r.refused_orders.len(), 1);
        let page = render(&r);
        assert!(!page.contains("<script") && !page.contains("<img"), "{page}");
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    }

    #[test]
    fn escapes_markup_and_controls() {
        assert_eq!(esc("<script>\"a\"&'b'\u{1b}"), "&lt;script&gt;&quot;a&quot;&amp;&#39;b&#39;\u{fffd}");
    }
}
