//! What an X.509 certificate says about itself: its validity (`notBefore`,
//! `notAfter`), its subject common name and its `subjectAltName` DNS names,
//! read from PEM by a small DER reader — for `status`, `config check` and
//! expiry alerts.
//!
//! ```text
//! Certificate  ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature }
//! TBSCertificate ::= SEQUENCE { [0] version OPTIONAL, serialNumber, signature,
//!       issuer, validity SEQUENCE { notBefore, notAfter }, subject,
//!       subjectPublicKeyInfo, [1] [2] unique ids OPTIONAL, [3] extensions OPTIONAL }
//! ```
//!
//! Owns: PEM armour and the few certificate fields the agent reports. Must
//! never: panic, read past its input or recurse on truncated or garbled
//! DER (the reader walks a fixed shape, and every length is checked against
//! what is left), or decide trust — nothing here verifies a signature;
//! rustls does that for the connection.

use crate::clock::days_from_civil;

/// Most certificates one PEM text may hold (a system CA bundle holds ~150).
pub const MAX_CERTS: usize = 1024;

/// Largest DER certificate accepted (real ones are 0.5–2 KiB).
pub const MAX_DER_BYTES: usize = 64 * 1024;

/// What a certificate says about its validity and names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    /// `notBefore`, Unix seconds.
    pub not_before_unix: i64,
    /// `notAfter`, Unix seconds: the certificate is valid up to and
    /// including this second.
    pub not_after_unix: i64,
    /// The subject's common name (the last CN, the most specific), if any.
    pub subject_cn: Option<String>,
    /// `subjectAltName` `dNSName` entries, in certificate order.
    pub dns_names: Vec<String>,
}

impl CertInfo {
    /// Whole days until `notAfter` from `now_unix` (rounded down; negative
    /// once expired).
    pub fn days_left(&self, now_unix: i64) -> i64 {
        (self.not_after_unix - now_unix).div_euclid(86_400)
    }

    /// Expired at `now_unix`.
    pub fn expired(&self, now_unix: i64) -> bool {
        now_unix > self.not_after_unix
    }

    /// Valid at `now_unix`: not before `notBefore`, not after `notAfter`.
    pub fn valid_at(&self, now_unix: i64) -> bool {
        self.not_before_unix <= now_unix && now_unix <= self.not_after_unix
    }

    /// Within the renewal warning period: `warn_days` or fewer whole days
    /// left (and not yet expired). `config check`, `status` and the
    /// agent's expiry alert all judge with this one rule.
    pub fn expires_within(&self, now_unix: i64, warn_days: u64) -> bool {
        !self.expired(now_unix) && self.days_left(now_unix) <= i64::try_from(warn_days).unwrap_or(i64::MAX)
    }
}

/// The certificate of a file that matters for expiry: the leaf (first) of
/// a client chain, which is what the agent presents; the one that expires
/// first of a CA file, because from that day some server chain may stop
/// verifying.
pub fn principal(certs: &[CertInfo], ca_file: bool) -> Option<&CertInfo> {
    if ca_file {
        certs.iter().min_by_key(|c| c.not_after_unix)
    } else {
        certs.first()
    }
}

/// Every `CERTIFICATE` block of a PEM text, in order. Other blocks (a
/// private key in the same file) and text between blocks are skipped. An
/// error names the block (1-based) and what is wrong with it; a text
/// without any certificate is an error too.
pub fn parse_pem_certs(pem: &[u8]) -> Result<Vec<CertInfo>, String> {
    let mut certs = Vec::new();
    for (i, block) in pem_blocks(pem)?.into_iter().enumerate() {
        let n = i + 1;
        let der = crate::encoding::base64_decode(&block).map_err(|e| format!("certificate {n}: bad base64: {e}"))?;
        certs.push(parse_der_cert(&der).map_err(|e| format!("certificate {n}: {e}"))?);
    }
    if certs.is_empty() {
        return Err("no PEM certificate found".into());
    }
    Ok(certs)
}

/// The base64 bodies (whitespace removed) of the `CERTIFICATE` blocks.
fn pem_blocks(pem: &[u8]) -> Result<Vec<String>, String> {
    const BEGIN: &[u8] = b"-----BEGIN ";
    const END: &[u8] = b"-----END ";
    // The label of the block we are in, and its body if it is a certificate.
    let mut open: Option<(Vec<u8>, Option<String>)> = None;
    let mut out = Vec::new();
    for (i, line) in pem.split(|b| *b == b'\n').enumerate() {
        let line = line.trim_ascii();
        let label =
            |prefix: &[u8]| line.strip_prefix(prefix).and_then(|l| l.strip_suffix(b"-----")).map(<[u8]>::to_vec);
        match open.take() {
            None => {
                if let Some(l) = label(BEGIN) {
                    let body = (l == b"CERTIFICATE").then(String::new);
                    open = Some((l, body));
                }
            }
            Some((l, body)) => {
                if let Some(end) = label(END) {
                    if end != l {
                        return Err(format!("line {}: END {} closes BEGIN {}", i + 1, ascii(&end), ascii(&l)));
                    }
                    out.extend(body);
                    if out.len() > MAX_CERTS {
                        return Err(format!("more than {MAX_CERTS} certificates"));
                    }
                    continue;
                }
                if line.starts_with(b"-----") {
                    return Err(format!("line {}: BEGIN {} is not closed", i + 1, ascii(&l)));
                }
                let body = match body {
                    Some(mut b) => {
                        if !line.is_ascii() {
                            return Err(format!("line {}: not base64", i + 1));
                        }
                        b.extend(line.iter().filter(|c| !c.is_ascii_whitespace()).map(|c| char::from(*c)));
                        if b.len() > MAX_DER_BYTES / 3 * 4 + 4 {
                            return Err(format!("line {}: certificate larger than {MAX_DER_BYTES} bytes", i + 1));
                        }
                        Some(b)
                    }
                    None => None,
                };
                open = Some((l, body));
            }
        }
    }
    match open {
        Some((l, _)) => Err(format!("BEGIN {} is not closed", ascii(&l))),
        None => Ok(out),
    }
}

/// A label for a message: printable ASCII, at most 40 bytes.
fn ascii(b: &[u8]) -> String {
    b.iter().take(40).map(|c| if c.is_ascii_graphic() || *c == b' ' { char::from(*c) } else { '?' }).collect()
}

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const INTEGER: u8 = 0x02;
const BOOLEAN: u8 = 0x01;
const OCTET_STRING: u8 = 0x04;
const OID: u8 = 0x06;
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;
/// `[0] EXPLICIT` version.
const VERSION: u8 = 0xa0;
/// `[1] IMPLICIT` issuerUniqueID, `[2] IMPLICIT` subjectUniqueID.
const ISSUER_UID: u8 = 0x81;
const SUBJECT_UID: u8 = 0x82;
/// `[3] EXPLICIT` extensions.
const EXTENSIONS: u8 = 0xa3;
/// GeneralName `dNSName [2] IA5String`.
const DNS_NAME: u8 = 0x82;
/// 2.5.4.3 commonName.
const OID_CN: &[u8] = &[0x55, 0x04, 0x03];
/// 2.5.29.17 subjectAltName.
const OID_SAN: &[u8] = &[0x55, 0x1d, 0x11];

/// A cursor over DER: one tag-length-value at a time, each length checked
/// against what is left.
struct Der<'a> {
    rest: &'a [u8],
}

impl<'a> Der<'a> {
    fn new(rest: &'a [u8]) -> Self {
        Der { rest }
    }

    fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    fn peek(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// The next element: its tag and its value.
    fn next(&mut self) -> Result<(u8, &'a [u8]), String> {
        let (&tag, rest) = self.rest.split_first().ok_or("truncated: a tag is missing")?;
        if tag & 0x1f == 0x1f {
            return Err(format!("unsupported multi-byte tag 0x{tag:02x}"));
        }
        let (&first, mut rest) = rest.split_first().ok_or("truncated: a length is missing")?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 {
                return Err("indefinite length (BER, not DER)".into());
            }
            if n > 4 {
                return Err(format!("a length of {n} bytes is too long"));
            }
            let (bytes, after) = rest.split_at_checked(n).ok_or("truncated inside a length")?;
            rest = after;
            bytes.iter().fold(0usize, |len, b| len << 8 | usize::from(*b))
        };
        let (value, after) = rest
            .split_at_checked(len)
            .ok_or_else(|| format!("truncated: tag 0x{tag:02x} needs {len} bytes, {} left", rest.len()))?;
        self.rest = after;
        Ok((tag, value))
    }

    /// The next element, which must have `tag`.
    fn expect(&mut self, tag: u8, what: &str) -> Result<&'a [u8], String> {
        match self.next() {
            Ok((t, v)) if t == tag => Ok(v),
            Ok((t, _)) => Err(format!("{what}: expected tag 0x{tag:02x}, found 0x{t:02x}")),
            Err(e) => Err(format!("{what}: {e}")),
        }
    }

    /// The next element if it has `tag`.
    fn optional(&mut self, tag: u8, what: &str) -> Result<Option<&'a [u8]>, String> {
        if self.peek() == Some(tag) {
            self.expect(tag, what).map(Some)
        } else {
            Ok(None)
        }
    }
}

/// Reads one DER certificate (nothing may follow it).
pub fn parse_der_cert(der: &[u8]) -> Result<CertInfo, String> {
    if der.len() > MAX_DER_BYTES {
        return Err(format!("larger than {MAX_DER_BYTES} bytes"));
    }
    let mut outer = Der::new(der);
    let cert = outer.expect(SEQUENCE, "certificate")?;
    if !outer.is_empty() {
        return Err("data after the certificate".into());
    }
    let tbs = Der::new(cert).expect(SEQUENCE, "tbsCertificate")?;
    let mut t = Der::new(tbs);
    t.optional(VERSION, "version")?;
    t.expect(INTEGER, "serialNumber")?;
    t.expect(SEQUENCE, "signature algorithm")?;
    t.expect(SEQUENCE, "issuer")?;
    let mut validity = Der::new(t.expect(SEQUENCE, "validity")?);
    let not_before_unix = time(&mut validity, "notBefore")?;
    let not_after_unix = time(&mut validity, "notAfter")?;
    let subject = t.expect(SEQUENCE, "subject")?;
    t.expect(SEQUENCE, "subjectPublicKeyInfo")?;
    t.optional(ISSUER_UID, "issuerUniqueID")?;
    t.optional(SUBJECT_UID, "subjectUniqueID")?;
    let dns_names = match t.optional(EXTENSIONS, "extensions")? {
        Some(exts) => san_dns_names(exts)?,
        None => Vec::new(),
    };
    Ok(CertInfo { not_before_unix, not_after_unix, subject_cn: common_name(subject)?, dns_names })
}

/// The last commonName of a Name (SEQUENCE OF SET OF AttributeTypeAndValue).
fn common_name(name: &[u8]) -> Result<Option<String>, String> {
    let mut cn = None;
    let mut rdns = Der::new(name);
    while !rdns.is_empty() {
        let mut set = Der::new(rdns.expect(SET, "subject")?);
        while !set.is_empty() {
            let mut atv = Der::new(set.expect(SEQUENCE, "subject attribute")?);
            let oid = atv.expect(OID, "subject attribute type")?;
            let (tag, value) = atv.next().map_err(|e| format!("subject attribute value: {e}"))?;
            if oid == OID_CN {
                cn = Some(directory_string(tag, value)?);
            }
        }
    }
    Ok(cn)
}

/// A DirectoryString (or IA5String) as text; what cannot be decoded becomes
/// U+FFFD.
fn directory_string(tag: u8, v: &[u8]) -> Result<String, String> {
    match tag {
        // UTF8String, PrintableString, IA5String, VisibleString.
        0x0c | 0x13 | 0x16 | 0x1a => Ok(String::from_utf8_lossy(v).into_owned()),
        // TeletexString: in practice Latin-1.
        0x14 => Ok(v.iter().map(|b| char::from(*b)).collect()),
        // BMPString: UTF-16BE.
        0x1e => {
            if !v.len().is_multiple_of(2) {
                return Err("BMPString of odd length".into());
            }
            let units = v.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]]));
            Ok(char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)).collect())
        }
        // UniversalString: UTF-32BE.
        0x1c => {
            if !v.len().is_multiple_of(4) {
                return Err("UniversalString length is not a multiple of 4".into());
            }
            Ok(v.chunks_exact(4)
                .map(|c| {
                    char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]])).unwrap_or(char::REPLACEMENT_CHARACTER)
                })
                .collect())
        }
        other => Err(format!("unsupported string type 0x{other:02x}")),
    }
}

/// The dNSName entries of the subjectAltName extension, if there is one.
fn san_dns_names(exts: &[u8]) -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    let mut list = Der::new(Der::new(exts).expect(SEQUENCE, "extensions")?);
    while !list.is_empty() {
        let mut ext = Der::new(list.expect(SEQUENCE, "extension")?);
        let oid = ext.expect(OID, "extension id")?;
        ext.optional(BOOLEAN, "extension critical flag")?;
        let value = ext.expect(OCTET_STRING, "extension value")?;
        if oid != OID_SAN {
            continue;
        }
        let mut outer = Der::new(value);
        let mut general = Der::new(outer.expect(SEQUENCE, "subjectAltName")?);
        while !general.is_empty() {
            let (tag, v) = general.next().map_err(|e| format!("subjectAltName: {e}"))?;
            if tag == DNS_NAME {
                names.push(String::from_utf8_lossy(v).into_owned());
            }
        }
    }
    Ok(names)
}

/// The next UTCTime or GeneralizedTime of `d` as Unix seconds.
fn time(d: &mut Der<'_>, what: &str) -> Result<i64, String> {
    let (tag, v) = d.next().map_err(|e| format!("{what}: {e}"))?;
    parse_time(tag, v).map_err(|e| format!("{what}: {e}"))
}

/// RFC 5280 §4.1.2.5: UTCTime `YYMMDDHHMMSSZ` (YY ≥ 50 is 19YY, else 20YY)
/// or GeneralizedTime `YYYYMMDDHHMMSSZ`, both in UTC with seconds and no
/// fraction.
fn parse_time(tag: u8, v: &[u8]) -> Result<i64, String> {
    let (year, rest) = match tag {
        UTC_TIME if v.len() == 13 => {
            let yy = digits(&v[..2])?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, &v[2..])
        }
        GENERALIZED_TIME if v.len() == 15 => (digits(&v[..4])?, &v[4..]),
        UTC_TIME | GENERALIZED_TIME => {
            return Err(format!("{:?} is not of the form YYMMDDHHMMSSZ / YYYYMMDDHHMMSSZ", ascii(v)))
        }
        other => return Err(format!("expected a time, found tag 0x{other:02x}")),
    };
    if rest[10] != b'Z' {
        return Err(format!("{:?} is not in UTC (Z)", ascii(v)));
    }
    let (month, day) = (digits(&rest[0..2])?, digits(&rest[2..4])?);
    let (hour, minute, second) = (digits(&rest[4..6])?, digits(&rest[6..8])?, digits(&rest[8..10])?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => 0,
    };
    if day == 0 || day > month_days || hour > 23 || minute > 59 || second > 59 {
        return Err(format!("{:?} is not a valid date and time", ascii(v)));
    }
    // `digits` read at most four digits, so these are small and positive.
    let days = days_from_civil(i64::from(year), month, day);
    Ok(days * 86_400 + i64::from(hour * 3600 + minute * 60 + second))
}

/// ASCII digits as a number (at most four, so it fits).
fn digits(b: &[u8]) -> Result<u32, String> {
    if b.is_empty() || b.len() > 4 || !b.iter().all(u8::is_ascii_digit) {
        return Err(format!("{:?} is not a number", ascii(b)));
    }
    Ok(b.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVER: &[u8] = include_bytes!("../tests/fixtures/pki/server.pem");
    const CLIENT: &[u8] = include_bytes!("../tests/fixtures/pki/client.pem");
    const CA: &[u8] = include_bytes!("../tests/fixtures/pki/ca.pem");
    const CLIENT_KEY: &[u8] = include_bytes!("../tests/fixtures/pki/client.key");

    /// `openssl x509 -noout -startdate -enddate`: Nov 25 08:54:28 2026 GMT
    /// (UTCTime) and Nov  1 08:54:28 2126 GMT (GeneralizedTime).
    const NOT_BEFORE: i64 = 1_795_596_868;
    const NOT_AFTER: i64 = 4_949_196_868;

    fn der(pem: &[u8]) -> Vec<u8> {
        let block = pem_blocks(pem).unwrap().remove(0);
        crate::encoding::base64_decode(&block).unwrap()
    }

    #[test]
    fn fixtures_read_as_openssl_reads_them() {
        let s = parse_pem_certs(SERVER).unwrap();
        assert_eq!(
            s,
            vec![CertInfo {
                not_before_unix: NOT_BEFORE,
                not_after_unix: NOT_AFTER,
                subject_cn: Some("mcp.test".into()),
                dns_names: vec!["localhost".into(), "mcp.test".into()],
            }]
        );
        let c = parse_pem_certs(CLIENT).unwrap();
        assert_eq!(c[0].subject_cn.as_deref(), Some("clinic-042 appl-01"));
        assert!(c[0].dns_names.is_empty());
        let ca = parse_pem_certs(CA).unwrap();
        assert_eq!(ca[0].subject_cn.as_deref(), Some("compliance-agent test MCP CA"));
        assert_eq!((ca[0].not_before_unix, ca[0].not_after_unix), (NOT_BEFORE, NOT_AFTER));
        assert_eq!(crate::clock::rfc3339_ms(NOT_AFTER * 1000), "2126-11-01T08:54:28.000Z");
        assert!(ca[0].valid_at(NOT_BEFORE) && !ca[0].valid_at(NOT_BEFORE - 1) && !ca[0].expired(NOT_AFTER));
        assert!(ca[0].expired(NOT_AFTER + 1));
        assert_eq!(ca[0].days_left(NOT_AFTER - 86_400), 1);
        assert_eq!(ca[0].days_left(NOT_AFTER + 1), -1);
    }

    #[test]
    fn a_bundle_with_a_key_and_crlf_yields_every_certificate_in_order() {
        let mut pem = Vec::new();
        pem.extend_from_slice(b"leading text is ignored\r\n");
        pem.extend_from_slice(CLIENT_KEY);
        pem.extend_from_slice(
            &CLIENT.iter().flat_map(|b| if *b == b'\n' { vec![b'\r', b'\n'] } else { vec![*b] }).collect::<Vec<_>>(),
        );
        pem.extend_from_slice(SERVER);
        pem.extend_from_slice(CA);
        let all = parse_pem_certs(&pem).unwrap();
        let names: Vec<_> = all.iter().map(|c| c.subject_cn.clone().unwrap()).collect();
        assert_eq!(names, ["clinic-042 appl-01", "mcp.test", "compliance-agent test MCP CA"]);
    }

    #[test]
    fn bad_pem_is_an_error_naming_what() {
        let cases: &[(&[u8], &str)] = &[
            (b"", "no PEM certificate"),
            (CLIENT_KEY, "no PEM certificate"),
            (b"-----BEGIN CERTIFICATE-----\nAAAA\n", "not closed"),
            (b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END PRIVATE KEY-----\n", "closes BEGIN CERTIFICATE"),
            (b"-----BEGIN CERTIFICATE-----\nA@A=\n-----END CERTIFICATE-----\n", "certificate 1: bad base64"),
            (b"-----BEGIN CERTIFICATE-----\n\xff\xfe\n-----END CERTIFICATE-----\n", "not base64"),
            (b"-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n", "certificate 1: tbsCertificate"),
        ];
        for (pem, want) in cases {
            let e = parse_pem_certs(pem).unwrap_err();
            assert!(e.contains(want), "{:?}: {e}", String::from_utf8_lossy(pem));
        }
        let huge = format!("-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n", "A".repeat(100_000));
        assert!(parse_pem_certs(huge.as_bytes()).unwrap_err().contains("larger than"));
    }

    #[test]
    fn every_truncation_of_a_real_certificate_is_an_error() {
        for pem in [SERVER, CLIENT, CA] {
            let d = der(pem);
            assert!(parse_der_cert(&d).is_ok());
            for n in 0..d.len() {
                assert!(parse_der_cert(&d[..n]).is_err(), "truncated to {n} bytes");
            }
            // And trailing bytes are refused.
            let mut longer = d.clone();
            longer.push(0);
            assert!(parse_der_cert(&longer).unwrap_err().contains("after the certificate"));
        }
    }

    #[test]
    fn garbled_certificates_never_panic() {
        let d = der(SERVER);
        for i in 0..d.len() {
            for x in [0x01u8, 0x80, 0xff, 0x1f] {
                let mut g = d.clone();
                g[i] ^= x;
                let _ = parse_der_cert(&g);
                // A garbled byte inside a nested length, with the outer
                // lengths still consistent, too.
                let mut g = d.clone();
                g[i] = x;
                let _ = parse_der_cert(&g);
            }
        }
    }

    #[test]
    fn hostile_lengths_and_tags_are_errors() {
        let cases: &[(&[u8], &str)] = &[
            (&[0x30, 0x80, 0x00, 0x00], "indefinite length"),
            (&[0x30, 0x85, 1, 0, 0, 0, 0], "too long"),
            (&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff], "truncated"),
            (&[0x30, 0x82, 0x01], "truncated inside a length"),
            (&[0x3f, 0x01, 0x00], "multi-byte tag"),
            (&[0x30], "length is missing"),
            (&[], "tag is missing"),
            (&[0x31, 0x00], "expected tag 0x30"),
        ];
        for (der, want) in cases {
            let e = parse_der_cert(der).unwrap_err();
            assert!(e.contains(want), "{der:02x?}: {e}");
        }
    }

    #[test]
    fn times() {
        let ok: &[(u8, &[u8], &str)] = &[
            (UTC_TIME, b"491231235959Z", "2049-12-31T23:59:59.000Z"),
            (UTC_TIME, b"500101000000Z", "1950-01-01T00:00:00.000Z"),
            (UTC_TIME, b"700101000000Z", "1970-01-01T00:00:00.000Z"),
            (GENERALIZED_TIME, b"20240229120000Z", "2024-02-29T12:00:00.000Z"),
            (GENERALIZED_TIME, b"99991231235959Z", "9999-12-31T23:59:59.000Z"),
        ];
        for (tag, v, want) in ok {
            let t = parse_time(*tag, v).unwrap();
            assert_eq!(crate::clock::rfc3339_ms(t * 1000), *want);
        }
        let bad: &[(u8, &[u8])] = &[
            (UTC_TIME, b"491231235959"),
            (UTC_TIME, b"4912312359Z"),
            (UTC_TIME, b"491231235959+"),
            (UTC_TIME, b"491331235959Z"),
            (UTC_TIME, b"490229000000Z"),
            (UTC_TIME, b"490001000000Z"),
            (UTC_TIME, b"491231240000Z"),
            (UTC_TIME, b"491231236000Z"),
            (UTC_TIME, b"4912312359-9Z"),
            (UTC_TIME, "4912312359\u{e9}Z".as_bytes()),
            (GENERALIZED_TIME, b"21000229000000Z"),
            (GENERALIZED_TIME, b"20240101000000.5Z"),
            (GENERALIZED_TIME, b"491231235959Z"),
            (INTEGER, b"20240101000000Z"),
        ];
        for (tag, v) in bad {
            assert!(parse_time(*tag, v).is_err(), "{}", String::from_utf8_lossy(v));
        }
    }

    #[test]
    fn names_in_every_string_type() {
        assert_eq!(directory_string(0x0c, "Zürich".as_bytes()).unwrap(), "Zürich");
        assert_eq!(directory_string(0x13, b"mcp.test").unwrap(), "mcp.test");
        assert_eq!(directory_string(0x14, b"Z\xfcrich").unwrap(), "Zürich");
        assert_eq!(directory_string(0x1e, &[0, b'Z', 0, 0xfc]).unwrap(), "Zü");
        assert_eq!(directory_string(0x1c, &[0, 0, 0, b'a', 0, 0x11, 0, 0]).unwrap(), "a\u{fffd}");
        assert!(directory_string(0x1e, &[0]).is_err());
        assert!(directory_string(0x1c, &[0, 0, 0]).is_err());
        assert!(directory_string(0x02, b"1").is_err());
        assert_eq!(directory_string(0x0c, b"\xff").unwrap(), "\u{fffd}");
    }

    #[test]
    fn one_expiry_rule_and_the_certificate_that_matters() {
        let day = 86_400;
        let cert =
            |not_after| CertInfo { not_before_unix: 0, not_after_unix: not_after, subject_cn: None, dns_names: vec![] };
        let now = 1_000 * day;
        // Exactly 30 whole days left is within a 30-day warning; 31 is not.
        assert!(cert(now + 30 * day).expires_within(now, 30));
        assert!(cert(now + 30 * day + day - 1).expires_within(now, 30));
        assert!(!cert(now + 31 * day).expires_within(now, 30));
        // Expired is its own stage, not "soon".
        assert!(!cert(now - 1).expires_within(now, 30));
        assert!(cert(now).expires_within(now, 0));
        let (a, b, c) = (cert(now + 90 * day), cert(now + 10 * day), cert(now + 400 * day));
        let file = [a.clone(), b.clone(), c];
        assert_eq!(principal(&file, false), Some(&a), "a client chain: the leaf, first");
        assert_eq!(principal(&file, true), Some(&b), "a CA file: the first to expire");
        assert_eq!(principal(&[], true), None);
    }
}
