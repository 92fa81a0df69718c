//! docs/evidence.md's table of control citations equals the code's.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use compliance_agent::checks::CheckName;
use compliance_agent::evidence::controls::{hipaa, nist};

#[test]
fn controls_table_matches_the_code() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/evidence.md")).unwrap();
    let start = doc.find("<!-- controls-table -->").unwrap();
    let end = doc.find("<!-- /controls-table -->").unwrap();
    let rows: Vec<Vec<String>> = doc[start..end]
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| check") && !l.starts_with("|---"))
        .map(|l| l.trim_matches('|').split('|').map(|c| c.trim().to_string()).collect())
        .collect();
    assert_eq!(rows.len(), 6);
    for row in rows {
        let check = CheckName::parse(&row[0]).unwrap();
        assert_eq!(row[1], hipaa(check).join(", "), "{check}");
        assert_eq!(row[2], nist(check).join(", "), "{check}");
    }
}
