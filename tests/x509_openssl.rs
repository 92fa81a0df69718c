//! The x509 reader against openssl: for every certificate in
//! tests/fixtures/pki, `parse_pem_certs` says what
//! `openssl x509 -noout -startdate -enddate -subject -ext subjectAltName`
//! says.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use compliance_agent::x509::parse_pem_certs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `Nov  1 08:54:28 2126 GMT` as Unix seconds.
fn openssl_time(s: &str) -> i64 {
    let parts: Vec<&str> = s.split_whitespace().collect();
    let [mon, day, hms, year, "GMT"] = parts[..] else { panic!("unexpected date {s:?}") };
    let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let m = months.iter().position(|x| *x == mon).unwrap() as u32 + 1;
    let days = compliance_agent::clock::days_from_civil(year.parse().unwrap(), m, day.parse().unwrap());
    let t: Vec<i64> = hms.split(':').map(|x| x.parse().unwrap()).collect();
    days * 86_400 + t[0] * 3600 + t[1] * 60 + t[2]
}

fn openssl(path: &Path) -> (i64, i64, Option<String>, Vec<String>) {
    let out = Command::new("openssl")
        .args([
            "x509",
            "-noout",
            "-startdate",
            "-enddate",
            "-subject",
            "-nameopt",
            "utf8,sep_comma_plus",
            "-ext",
            "subjectAltName",
            "-in",
        ])
        .arg(path)
        .output()
        .expect("openssl");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let field = |k: &str| text.lines().find_map(|l| l.strip_prefix(k)).map(str::to_string);
    let cn =
        field("subject=").and_then(|s| s.split(',').find_map(|p| p.trim().strip_prefix("CN=").map(str::to_string)));
    let dns = text
        .lines()
        .skip_while(|l| !l.contains("Subject Alternative Name"))
        .nth(1)
        .map(|l| l.split(',').filter_map(|p| p.trim().strip_prefix("DNS:").map(str::to_string)).collect())
        .unwrap_or_default();
    (openssl_time(&field("notBefore=").unwrap()), openssl_time(&field("notAfter=").unwrap()), cn, dns)
}

#[test]
fn every_fixture_certificate_reads_as_openssl_reads_it() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pki");
    let mut seen = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let path = e.unwrap().path();
        if path.extension().is_none_or(|x| x != "pem") {
            continue;
        }
        let certs = parse_pem_certs(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(certs.len(), 1, "{}", path.display());
        let c = &certs[0];
        let (not_before, not_after, cn, dns) = openssl(&path);
        let ours = (c.not_before_unix, c.not_after_unix, c.subject_cn.clone(), c.dns_names.clone());
        assert_eq!(ours, (not_before, not_after, cn, dns), "{}", path.display());
        seen += 1;
    }
    assert!(seen >= 6, "{seen} fixtures");
}
