//! Pure parsers: `&[u8]` in, a PDU or a reason out. Never panics, never allocates.

use super::types::{FunctionCode, HEADER_LEN, MAX_LEN, TemplatePdu};
use otwatch_core::{Direction, Probe};

/// Outcome of parsing one frame from the front of a buffer.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed<T> {
    /// A PDU and the bytes it used.
    Ok(T, usize),
    /// Need at least this many more bytes.
    Incomplete(usize),
    /// Not a valid frame; the static name is the weird to report.
    Invalid(&'static str),
}

/// Parses one frame from the front of `b`.
pub fn parse_frame(b: &[u8]) -> Parsed<TemplatePdu<'_>> {
    if b.len() < HEADER_LEN + 1 {
        return Parsed::Incomplete(HEADER_LEN + 1 - b.len());
    }
    if &b[..2] != b"OW" {
        return Parsed::Invalid("template_bad_magic");
    }
    let txid = u16::from_be_bytes([b[2], b[3]]);
    let len = u16::from_be_bytes([b[4], b[5]]) as usize;
    if len == 0 || len > MAX_LEN {
        return Parsed::Invalid("template_bad_length");
    }
    let total = HEADER_LEN + len;
    if b.len() < total {
        return Parsed::Incomplete(total - b.len());
    }
    Parsed::Ok(
        TemplatePdu {
            txid,
            fc: FunctionCode(b[6]),
            body: &b[7..total],
        },
        total,
    )
}

/// Cheap probe: magic and a plausible length.
pub fn probe(_dir: Direction, b: &[u8]) -> Probe {
    match parse_frame(b) {
        Parsed::Ok(..) => Probe::Match,
        Parsed::Incomplete(_) if b.len() < HEADER_LEN => {
            if b.len() >= 2 && &b[..2] != b"OW" {
                Probe::NoMatch
            } else {
                Probe::NeedMore
            }
        }
        Parsed::Incomplete(_) => {
            let len = u16::from_be_bytes([b[4], b[5]]) as usize;
            if &b[..2] == b"OW" && (1..=MAX_LEN).contains(&len) {
                Probe::NeedMore
            } else {
                Probe::NoMatch
            }
        }
        Parsed::Invalid(_) => Probe::NoMatch,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_read_request() {
        let b = [
            b'O', b'W', // magic
            0x00, 0x07, // txid 7
            0x00, 0x03, // len 3
            0x01, // fc read
            0x00, 0x10, // address 16
        ];
        match parse_frame(&b) {
            Parsed::Ok(p, n) => {
                assert_eq!(n, 9);
                assert_eq!(p.txid, 7);
                assert_eq!(p.fc, FunctionCode::READ);
                assert_eq!(p.body, &[0x00, 0x10]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn rejects_bad_magic_and_length() {
        assert_eq!(
            parse_frame(b"XW\0\0\0\x01\x01"),
            Parsed::Invalid("template_bad_magic")
        );
        assert_eq!(
            parse_frame(b"OW\0\0\x01\0\x01"),
            Parsed::Invalid("template_bad_length")
        );
        assert_eq!(
            probe(Direction::ToServer, b"GET / HTTP/1.1\r\n"),
            Probe::NoMatch
        );
    }
}
