//! Pure APDU/ASDU parsers: `&[u8]` in, a PDU or a reason out. Never panics,
//! never allocates.

use super::events::element_size;
use super::types::{
    ASDU_HEADER_LEN, Apci, Apdu, AsduHeader, Cot, IOA_LEN, InfoObject, MAX_APDU_LEN, MIN_APDU_LEN,
    START, TypeId, UFunction,
};
use otwatch_core::{Direction, Probe};

/// Outcome of parsing one APDU from the front of a buffer.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed<T> {
    /// A PDU and the bytes it used.
    Ok(T, usize),
    /// Need at least this many more bytes.
    Incomplete(usize),
    /// Not a valid APDU; the static name is the weird to report.
    Invalid(&'static str),
}

/// Decodes the 4-octet control field. IEC 60870-5-104, 5.1-5.3.
pub fn parse_control(cf: [u8; 4]) -> Option<Apci> {
    let [c1, c2, c3, c4] = cf;
    if c3 & 1 != 0 {
        return None;
    }
    let recv_seq = u16::from_le_bytes([c3, c4]) >> 1;
    if c1 & 1 == 0 {
        let send_seq = u16::from_le_bytes([c1, c2]) >> 1;
        return Some(Apci::I { send_seq, recv_seq });
    }
    if c1 == 0x01 && c2 == 0 {
        return Some(Apci::S { recv_seq });
    }
    if c2 == 0 && c3 == 0 && c4 == 0 {
        return UFunction::from_cf1(c1).map(Apci::U);
    }
    None
}

/// Parses one APDU from the front of `b`.
pub fn parse_apdu(b: &[u8]) -> Parsed<Apdu<'_>> {
    let Some(&start) = b.first() else {
        return Parsed::Incomplete(2);
    };
    if start != START {
        return Parsed::Invalid("iec104_bad_start");
    }
    let Some(&len) = b.get(1) else {
        return Parsed::Incomplete(1);
    };
    let len = len as usize;
    if !(MIN_APDU_LEN..=MAX_APDU_LEN).contains(&len) {
        return Parsed::Invalid("iec104_bad_length");
    }
    let Some(cf) = b.get(2..6) else {
        return Parsed::Incomplete(6 - b.len());
    };
    let Some(apci) = parse_control([cf[0], cf[1], cf[2], cf[3]]) else {
        return Parsed::Invalid("iec104_bad_control");
    };
    let is_i = matches!(apci, Apci::I { .. });
    if is_i != (len > MIN_APDU_LEN) {
        return Parsed::Invalid("iec104_bad_length");
    }
    let total = 2 + len;
    match b.get(6..total) {
        Some(asdu) => Parsed::Ok(Apdu { apci, asdu }, total),
        None => Parsed::Incomplete(total - b.len()),
    }
}

/// Parses the data unit identifier of an ASDU.
pub fn parse_asdu_header(b: &[u8]) -> Option<AsduHeader> {
    let h = b.get(..ASDU_HEADER_LEN)?;
    Some(AsduHeader {
        type_id: TypeId(h[0]),
        sq: h[1] & 0x80 != 0,
        num: h[1] & 0x7f,
        cot: Cot(h[2]),
        originator: h[3],
        common_address: u16::from_le_bytes([h[4], h[5]]),
    })
}

/// Iterator over the information objects of an ASDU (SQ=0: IOA + element each;
/// SQ=1: one IOA then consecutive elements at IOA, IOA+1, ...).
#[derive(Clone, Debug)]
pub struct Objects<'a> {
    body: &'a [u8],
    off: usize,
    left: u8,
    size: usize,
    sq: bool,
    next_ioa: u32,
}

fn ioa_at(b: &[u8], off: usize) -> Option<u32> {
    b.get(off..off + IOA_LEN)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], 0]))
}

impl<'a> Iterator for Objects<'a> {
    type Item = InfoObject<'a>;
    fn next(&mut self) -> Option<InfoObject<'a>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let ioa = if self.sq {
            let i = self.next_ioa;
            self.next_ioa = (i + 1) & 0x00ff_ffff;
            i
        } else {
            let i = ioa_at(self.body, self.off)?;
            self.off += IOA_LEN;
            i
        };
        let element = self.body.get(self.off..self.off + self.size)?;
        self.off += self.size;
        Some(InfoObject { ioa, element })
    }
}

/// The parsed ASDU: header, and an iterator over its objects (`None` for types
/// whose element size otwatch does not know). `exact` is false when the objects
/// do not fill the ASDU exactly (truncated or trailing bytes).
#[derive(Clone, Debug)]
pub struct Asdu<'a> {
    /// Header.
    pub header: AsduHeader,
    /// Objects, for known types.
    pub objects: Option<Objects<'a>>,
    /// Objects fill the ASDU exactly.
    pub exact: bool,
}

/// Parses an ASDU.
pub fn parse_asdu(b: &[u8]) -> Option<Asdu<'_>> {
    let header = parse_asdu_header(b)?;
    let body = b.get(ASDU_HEADER_LEN..)?;
    let Some(size) = element_size(header.type_id) else {
        return Some(Asdu {
            header,
            objects: None,
            exact: true,
        });
    };
    let n = header.num as usize;
    let need = if header.sq {
        IOA_LEN + n * size
    } else {
        n * (IOA_LEN + size)
    };
    let next_ioa = if header.sq {
        ioa_at(body, 0).unwrap_or(0)
    } else {
        0
    };
    Some(Asdu {
        header,
        objects: Some(Objects {
            body,
            off: if header.sq { IOA_LEN } else { 0 },
            left: header.num,
            size,
            sq: header.sq,
            next_ioa,
        }),
        exact: need == body.len() && n > 0,
    })
}

/// Strict probe: a complete first APDU with a valid control field; for I-frames an
/// ASDU of a known type whose objects fill it exactly and a defined cause; any
/// following byte must start another APDU.
pub fn probe(_dir: Direction, b: &[u8]) -> Probe {
    match parse_apdu(b) {
        Parsed::Ok(apdu, n) => {
            if let Some(&next) = b.get(n)
                && next != START
            {
                return Probe::NoMatch;
            }
            if apdu.asdu.is_empty() {
                return Probe::Match;
            }
            match parse_asdu(apdu.asdu) {
                Some(a)
                    if a.objects.is_some()
                        && a.exact
                        && super::events::cot_name(a.header.cot.cause()).is_some() =>
                {
                    Probe::Match
                }
                _ => Probe::NoMatch,
            }
        }
        Parsed::Incomplete(_) => Probe::NeedMore,
        Parsed::Invalid(_) => Probe::NoMatch,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_fields() {
        // emreekin-ics-pcaps IEC60870-104/iec104.pcap: TESTFR act, STARTDT act, S(26).
        assert_eq!(
            parse_control([0x43, 0, 0, 0]),
            Some(Apci::U(UFunction::TestFrAct))
        );
        assert_eq!(
            parse_control([0x07, 0, 0, 0]),
            Some(Apci::U(UFunction::StartDtAct))
        );
        assert_eq!(
            parse_control([0x01, 0x00, 0x1a, 0x00]),
            Some(Apci::S { recv_seq: 13 })
        );
        assert_eq!(
            parse_control([0x02, 0x00, 0x02, 0x00]),
            Some(Apci::I {
                send_seq: 1,
                recv_seq: 1
            })
        );
        assert_eq!(parse_control([0x03, 0, 0, 0]), None);
        assert_eq!(parse_control([0x01, 0x00, 0x01, 0x00]), None);
    }

    #[test]
    fn interrogation_asdu() {
        let b = [
            0x68, 0x0e, // start, length 14
            0x00, 0x00, 0x00, 0x00, // I(0,0)
            0x64, 0x01, // C_IC_NA_1, 1 object
            0x06, 0x00, // COT act, originator 0
            0x0a, 0x00, // common address 10
            0x00, 0x00, 0x00, // IOA 0
            0x14, // QOI 20 (station interrogation)
        ];
        let Parsed::Ok(apdu, 16) = parse_apdu(&b) else {
            panic!()
        };
        let a = parse_asdu(apdu.asdu).expect("asdu");
        assert_eq!(a.header.type_id, TypeId(100));
        assert_eq!(a.header.common_address, 10);
        assert!(a.exact);
        let o: Vec<_> = a.objects.expect("known").collect();
        assert_eq!(o.len(), 1);
        assert_eq!(o[0].element, &[0x14]);
        assert_eq!(probe(Direction::ToServer, &b), Probe::Match);
        assert_eq!(probe(Direction::ToServer, &b[..10]), Probe::NeedMore);
    }

    #[test]
    fn sequence_objects() {
        // M_SP_NA_1 SQ=1, 3 elements from IOA 11.
        let asdu = [
            0x01, 0x83, 0x14, 0x00, 0x0a, 0x00, 0x0b, 0x00, 0x00, 0x01, 0x00, 0x01,
        ];
        let a = parse_asdu(&asdu).expect("asdu");
        assert!(a.exact);
        let o: Vec<_> = a
            .objects
            .expect("known")
            .map(|o| (o.ioa, o.element[0]))
            .collect();
        assert_eq!(o, vec![(11, 1), (12, 0), (13, 1)]);
    }

    #[test]
    fn rejects_junk() {
        assert_eq!(
            parse_apdu(b"\x68\x02\0\0"),
            Parsed::Invalid("iec104_bad_length")
        );
        assert_eq!(parse_apdu(b"\x67\x04"), Parsed::Invalid("iec104_bad_start"));
        assert_eq!(
            probe(Direction::ToServer, b"\x68\x04\x07\x00\x00\x00GET"),
            Probe::NoMatch
        );
        assert_eq!(
            probe(Direction::ToServer, b"\x68\x04\x07\x00\x00\x00"),
            Probe::Match
        );
    }
}
