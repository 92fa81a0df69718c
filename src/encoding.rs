//! Strict standard base64 (RFC 4648 §4, with padding) and lowercase hex.
//!
//! Owns: the byte/text encodings used on the wire, in key files and in
//! evidence. Decoding is strict: no whitespace, no missing or extra padding,
//! no non-zero trailing bits, so one value has exactly one encoding (an
//! attacker cannot vary the bytes of a signed envelope's fields without
//! changing their meaning). Must never: accept the URL-safe alphabet silently.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Why a base64 text was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base64Error {
    /// Length is not a multiple of four.
    Length,
    /// A byte outside the standard alphabet (or padding in the middle).
    Symbol(usize),
    /// Padding bits that are not zero (a non-canonical encoding).
    NonCanonical,
}

impl std::fmt::Display for Base64Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Base64Error::Length => write!(f, "base64 length is not a multiple of 4"),
            Base64Error::Symbol(at) => write!(f, "invalid base64 character at offset {at}"),
            Base64Error::NonCanonical => write!(f, "non-canonical base64 (non-zero padding bits)"),
        }
    }
}

impl std::error::Error for Base64Error {}

/// Every pair of base64 symbols, indexed by the 12 bits they encode: the
/// encoder looks up two output bytes at a time.
const PAIRS: [[u8; 2]; 4096] = {
    let mut t = [[0u8; 2]; 4096];
    let mut i = 0;
    while i < 4096 {
        t[i] = [ALPHABET[i >> 6], ALPHABET[i & 63]];
        i += 1;
    }
    t
};

/// Encodes `data` as padded standard base64.
pub fn base64_encode(data: &[u8]) -> String {
    let mut out = Vec::new();
    base64_encode_into(data, &mut out);
    // Only ASCII was written; the check is a fast scan.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Appends the padded standard base64 of `data` to `out` (which may hold a
/// request body being built: no intermediate string).
pub fn base64_encode_into(data: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    out.resize(start + data.len().div_ceil(3) * 4, 0);
    let dst = &mut out[start..];
    let whole = data.len() / 3;
    for (d, s) in dst.chunks_exact_mut(4).zip(data.chunks_exact(3)) {
        let n = usize::from(s[0]) << 16 | usize::from(s[1]) << 8 | usize::from(s[2]);
        let [a, b] = PAIRS[n >> 12];
        let [c, e] = PAIRS[n & 0xfff];
        d.copy_from_slice(&[a, b, c, e]);
    }
    let rest = &data[whole * 3..];
    if let Some(d) = dst.get_mut(whole * 4..) {
        match *rest {
            [x] => {
                let n = usize::from(x) << 4;
                let [a, b] = PAIRS[n];
                d.copy_from_slice(&[a, b, b'=', b'=']);
            }
            [x, y] => {
                let n = usize::from(x) << 10 | usize::from(y) << 2;
                let [a, b] = PAIRS[n >> 6];
                d.copy_from_slice(&[a, b, ALPHABET[n & 63], b'=']);
            }
            _ => {}
        }
    }
}

fn value(c: u8) -> Option<u32> {
    match c {
        b'A'..=b'Z' => Some(u32::from(c - b'A')),
        b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
        b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Decodes padded standard base64, strictly.
pub fn base64_decode(text: &str) -> Result<Vec<u8>, Base64Error> {
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(4) {
        return Err(Base64Error::Length);
    }
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    let quads = bytes.len() / 4;
    for (qi, quad) in bytes.chunks(4).enumerate() {
        let last = qi + 1 == quads;
        let pad = if last { quad.iter().rev().take_while(|&&c| c == b'=').count() } else { 0 };
        if pad > 2 {
            return Err(Base64Error::Symbol(qi * 4 + 1));
        }
        let mut n = 0u32;
        for (i, &c) in quad.iter().enumerate() {
            let v = if i >= 4 - pad { 0 } else { value(c).ok_or(Base64Error::Symbol(qi * 4 + i))? };
            n = n << 6 | v;
        }
        let decoded = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        match pad {
            0 => out.extend_from_slice(&decoded),
            1 => {
                if decoded[2] != 0 {
                    return Err(Base64Error::NonCanonical);
                }
                out.extend_from_slice(&decoded[..2]);
            }
            _ => {
                if decoded[1] != 0 || decoded[2] != 0 {
                    return Err(Base64Error::NonCanonical);
                }
                out.push(decoded[0]);
            }
        }
    }
    Ok(out)
}

/// Lowercase hex of `data`.
pub fn hex(data: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(data.len() * 2);
    for b in data {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

/// Decodes lowercase or uppercase hex; `None` on odd length or a non-hex byte.
pub fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    text.as_bytes()
        .chunks(2)
        .map(|p| {
            let d = |c: u8| (c as char).to_digit(16);
            Some((d(p[0])? << 4 | d(p[1])?) as u8)
        })
        .collect()
}

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let d = ring::digest::digest(&ring::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// Lowercase hex SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    hex(&sha256(data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4648_vectors() {
        let cases: [(&str, &str); 7] = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, enc) in cases {
            assert_eq!(base64_encode(plain.as_bytes()), enc);
            assert_eq!(base64_decode(enc).unwrap(), plain.as_bytes());
        }
    }

    /// The encoder as it was before the table-driven one: the reference
    /// the fast one must match byte for byte.
    fn reference_encode(data: &[u8]) -> String {
        let mut out = String::new();
        for chunk in data.chunks(3) {
            let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
            let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
            let sym = |shift: u32| char::from(ALPHABET[(n >> shift & 63) as usize]);
            out.push(sym(18));
            out.push(sym(12));
            out.push(if chunk.len() > 1 { sym(6) } else { '=' });
            out.push(if chunk.len() > 2 { sym(0) } else { '=' });
        }
        out
    }

    #[test]
    fn fast_encoder_matches_the_reference_on_random_inputs() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for len in (0..300).chain([1000, 4095, 4096, 65_537]) {
            let data: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            assert_eq!(base64_encode(&data), reference_encode(&data), "length {len}");
            // Appending keeps what was there.
            let mut out = b"[\"".to_vec();
            base64_encode_into(&data, &mut out);
            assert_eq!(&out[..2], b"[\"");
            assert_eq!(&out[2..], reference_encode(&data).as_bytes());
        }
        // Every byte value in every position of a group.
        for b in 0..=255u8 {
            for data in [vec![b], vec![b, !b], vec![b, 0, !b], vec![!b, b, b]] {
                assert_eq!(base64_encode(&data), reference_encode(&data));
            }
        }
    }

    #[test]
    fn strict_decoding() {
        assert_eq!(base64_decode("Zg="), Err(Base64Error::Length));
        assert_eq!(base64_decode("Zh=="), Err(Base64Error::NonCanonical));
        assert_eq!(base64_decode("Zm9=").unwrap_err(), Base64Error::NonCanonical);
        assert!(matches!(base64_decode("Zm 9"), Err(Base64Error::Symbol(2))));
        assert!(matches!(base64_decode("Zg==Zg=="), Err(Base64Error::Symbol(2))));
        assert!(matches!(base64_decode("Z==="), Err(Base64Error::Symbol(1))));
        assert!(matches!(base64_decode("_-AA"), Err(Base64Error::Symbol(0))));
    }

    #[test]
    fn roundtrip_all_lengths() {
        let data: Vec<u8> = (0..=255u8).collect();
        for n in 0..data.len() {
            assert_eq!(base64_decode(&base64_encode(&data[..n])).unwrap(), &data[..n]);
        }
    }

    #[test]
    fn hex_and_sha256() {
        assert_eq!(hex(&[0, 15, 255]), "000fff");
        assert_eq!(hex_decode("000fFF").unwrap(), vec![0, 15, 255]);
        assert!(hex_decode("0g").is_none());
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
