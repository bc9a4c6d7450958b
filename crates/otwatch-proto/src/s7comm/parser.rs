//! Pure TPKT / COTP / S7comm / S7comm-plus parsers. Never panic, never allocate except
//! for capped item lists.

use super::types::*;
use otwatch_core::{Direction, Probe};

/// Outcome of parsing one frame from the front of a buffer.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed<T> {
    /// A frame and the bytes it used.
    Ok(T, usize),
    /// Need at least this many more bytes.
    Incomplete(usize),
    /// Not a valid frame; the static name is the weird to report.
    Invalid(&'static str),
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    b.get(at..at + 2).map(|s| u16::from_be_bytes([s[0], s[1]]))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4)
        .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// True when the 4 bytes at the front of `b` look like a TPKT header (version 3,
/// reserved 0, length ≥ 7).
pub fn plausible_tpkt(b: &[u8]) -> bool {
    matches!(b, [3, 0, ..]) && be16(b, 2).is_some_and(|l| l as usize >= MIN_TPKT_LEN)
}

/// Parses one TPKT (RFC 1006, 6) from the front of `b`; returns its payload (the COTP TPDU).
pub fn parse_tpkt(b: &[u8]) -> Parsed<&[u8]> {
    match b {
        [] => return Parsed::Incomplete(TPKT_HEADER_LEN),
        [v, ..] if *v != 3 => return Parsed::Invalid("s7comm_bad_tpkt"),
        [_, r, ..] if *r != 0 => return Parsed::Invalid("s7comm_bad_tpkt"),
        _ => {}
    }
    let Some(len) = be16(b, 2) else {
        return Parsed::Incomplete(TPKT_HEADER_LEN - b.len());
    };
    let len = len as usize;
    if len < MIN_TPKT_LEN {
        return Parsed::Invalid("s7comm_bad_tpkt");
    }
    if b.len() < len {
        return Parsed::Incomplete(len - b.len());
    }
    Parsed::Ok(&b[TPKT_HEADER_LEN..len], len)
}

/// Parses a COTP TPDU (ISO 8073, 13): the length indicator, the type, and for CR/CC
/// the references and TSAP parameters, for DT the EOT flag and user data.
pub fn parse_cotp(b: &[u8]) -> Result<CotpPdu<'_>, &'static str> {
    let (Some(&li), Some(&ty)) = (b.first(), b.get(1)) else {
        return Err("s7comm_bad_cotp");
    };
    let li = li as usize;
    let hdr = b.get(1..1 + li).ok_or("s7comm_bad_cotp")?;
    let t = CotpType(ty & 0xf0);
    match t {
        CotpType::DT => {
            let nr = *hdr.get(1).ok_or("s7comm_bad_cotp")?;
            Ok(CotpPdu::Data {
                eot: nr & 0x80 != 0,
                nr: nr & 0x7f,
                payload: &b[1 + li..],
            })
        }
        CotpType::CR | CotpType::CC => {
            if li < 6 {
                return Err("s7comm_bad_cotp");
            }
            let mut c = CotpConnect {
                dst_ref: be16(hdr, 1).unwrap_or(0),
                src_ref: be16(hdr, 3).unwrap_or(0),
                class: hdr[5],
                src_tsap: None,
                dst_tsap: None,
                tpdu_size: None,
            };
            let mut p = &hdr[6..];
            while let [code, len, rest @ ..] = p {
                let v = rest.get(..*len as usize).ok_or("s7comm_bad_cotp")?;
                match code {
                    0xc0 => c.tpdu_size = v.first().copied(),
                    0xc1 => c.src_tsap = Some(v),
                    0xc2 => c.dst_tsap = Some(v),
                    _ => {}
                }
                p = &rest[*len as usize..];
            }
            Ok(if t == CotpType::CR {
                CotpPdu::ConnectRequest(c)
            } else {
                CotpPdu::ConnectConfirm(c)
            })
        }
        t if t.is_known() => Ok(CotpPdu::Other(t)),
        _ => Err("s7comm_bad_cotp"),
    }
}

/// Parses an S7comm PDU (header, parameter, data) from a reassembled COTP payload.
pub fn parse_s7(b: &[u8]) -> Result<S7Pdu<'_>, &'static str> {
    if b.first() != Some(&S7_PROTOCOL_ID) {
        return Err("s7comm_bad_protocol_id");
    }
    let rosctr = Rosctr(*b.get(1).ok_or("s7comm_short_header")?);
    if !rosctr.is_known() {
        return Err("s7comm_bad_rosctr");
    }
    let hlen = if rosctr.has_error_fields() { 12 } else { 10 };
    let h = b.get(..hlen).ok_or("s7comm_short_header")?;
    let param_len = be16(h, 6).unwrap_or(0);
    let data_len = be16(h, 8).unwrap_or(0);
    let pend = hlen + param_len as usize;
    let dend = pend + data_len as usize;
    if dend != b.len() {
        return Err("s7comm_length_mismatch");
    }
    Ok(S7Pdu {
        header: S7Header {
            rosctr,
            pdu_ref: be16(h, 4).unwrap_or(0),
            param_len,
            data_len,
            error_class: rosctr.has_error_fields().then(|| h[10]),
            error_code: rosctr.has_error_fields().then(|| h[11]),
        },
        param: &b[hlen..pend],
        data: &b[pend..dend],
    })
}

/// Decodes the item specifications of a read/write var request parameter block
/// (function, item count, then 12-byte S7ANY items). At most [`MAX_ITEMS`] are returned;
/// the bool is true when the list was cut.
pub fn parse_var_items(param: &[u8]) -> Result<(Vec<VarItem>, bool), &'static str> {
    let count = *param.get(1).ok_or("s7comm_bad_item")? as usize;
    let mut items = Vec::with_capacity(count.min(MAX_ITEMS));
    let mut p = param.get(2..).unwrap_or(&[]);
    for _ in 0..count {
        let (Some(&spec), Some(&len)) = (p.first(), p.get(1)) else {
            return Err("s7comm_bad_item");
        };
        let body = p.get(2..2 + len as usize).ok_or("s7comm_bad_item")?;
        if spec != 0x12 {
            return Err("s7comm_bad_item");
        }
        if items.len() < MAX_ITEMS {
            let syntax_id = *body.first().ok_or("s7comm_bad_item")?;
            let item = if syntax_id == 0x10 && body.len() >= 10 {
                VarItem {
                    syntax_id,
                    transport_size: body[1],
                    length: be16(body, 2).unwrap_or(0),
                    db: be16(body, 4).unwrap_or(0),
                    area: body[6],
                    address: u32::from_be_bytes([0, body[7], body[8], body[9]]),
                }
            } else {
                VarItem {
                    syntax_id,
                    transport_size: 0,
                    length: 0,
                    db: 0,
                    area: 0,
                    address: 0,
                }
            };
            items.push(item);
        }
        p = &p[2 + len as usize..];
    }
    Ok((items, count > MAX_ITEMS))
}

/// Decodes `count` data items (return code, transport size, length, data, fill byte
/// after odd lengths except the last). At most [`MAX_ITEMS`].
pub fn parse_data_items(data: &[u8], count: usize) -> Result<Vec<DataItem<'_>>, &'static str> {
    let mut out = Vec::with_capacity(count.min(MAX_ITEMS));
    let mut p = data;
    for i in 0..count.min(MAX_ITEMS) {
        let (Some(&rc), Some(&ts)) = (p.first(), p.get(1)) else {
            // Error returns may carry only the return code.
            if let Some(&rc) = p.first() {
                out.push(DataItem {
                    return_code: rc,
                    transport_size: 0,
                    data: &[],
                });
                p = &p[1..];
                continue;
            }
            return Err("s7comm_bad_data_item");
        };
        let raw = be16(p, 2).ok_or("s7comm_bad_data_item")? as usize;
        let len = match ts {
            0x03..=0x05 => raw.div_ceil(8),
            _ => raw,
        };
        let v = p.get(4..4 + len).ok_or("s7comm_bad_data_item")?;
        out.push(DataItem {
            return_code: rc,
            transport_size: ts,
            data: v,
        });
        let mut used = 4 + len;
        if len % 2 == 1 && i + 1 < count {
            used += 1;
        }
        p = p.get(used..).unwrap_or(&[]);
    }
    Ok(out)
}

/// Decodes a user data parameter block (head normally 00 01 12, then length 4 or 8).
/// The head is not checked: CPU mode-transition pushes carry another one (as Wireshark,
/// the fields are read by position).
pub fn parse_userdata_param(param: &[u8]) -> Result<UserdataParam, &'static str> {
    let [_, _, _, plen, method, tg, sub, seq, rest @ ..] = param else {
        return Err("s7comm_bad_userdata");
    };
    let long = *plen >= 8 && *method == 0x12;
    Ok(UserdataParam {
        method: *method,
        kind: tg >> 4,
        group: tg & 0x0f,
        subfunction: *sub,
        seq: *seq,
        last_data_unit: if long { rest.get(1).copied() } else { None },
        error_code: if long { be16(rest, 2) } else { None },
    })
}

/// Decodes a user data data block (return code, transport size, length, payload).
pub fn parse_userdata_data(data: &[u8]) -> Option<UserdataData<'_>> {
    let len = be16(data, 2)? as usize;
    Some(UserdataData {
        return_code: *data.first()?,
        transport_size: *data.get(1)?,
        data: data.get(4..4 + len).or_else(|| data.get(4..))?,
    })
}

/// Decodes an SZL response payload header (id, index, record length, count).
pub fn parse_szl(b: &[u8]) -> Option<SzlList<'_>> {
    let id = be16(b, 0)?;
    let index = be16(b, 2)?;
    let record_len = be16(b, 4)?;
    let count = be16(b, 6)?;
    let want = record_len as usize * count as usize;
    let records = b.get(8..).unwrap_or(&[]);
    Some(SzlList {
        id,
        index,
        record_len,
        count,
        records: records.get(..want).unwrap_or(records),
    })
}

/// Parses an S7comm-plus telegram header and the start of its data part.
pub fn parse_s7plus(b: &[u8]) -> Result<S7PlusPdu, &'static str> {
    let [S7PLUS_PROTOCOL_ID, version, _, _, ..] = b else {
        return Err("s7comm_plus_bad_header");
    };
    let data_len = be16(b, 2).unwrap_or(0);
    let mut d = b.get(4..).unwrap_or(&[]);
    let mut integrity = false;
    // V3 telegrams start with a 32-byte digest (length byte 0x20) before the opcode.
    if *version == 3 && d.first() == Some(&0x20) && d.len() > 33 {
        integrity = true;
        d = &d[33..];
    }
    let opcode = d.first().copied();
    let is_req = opcode == Some(0x31);
    Ok(S7PlusPdu {
        version: *version,
        data_len,
        opcode,
        function: be16(d, 3),
        seq: be16(d, 7),
        session_id: if is_req { be32(d, 9) } else { None },
        integrity,
    })
}

fn probe_payload(p: &[u8]) -> Probe {
    match p.first() {
        Some(&S7_PROTOCOL_ID) => match p.get(1) {
            None => Probe::NeedMore,
            Some(&r) if Rosctr(r).is_known() => match be16(p, 2) {
                None => Probe::NeedMore,
                Some(0) => Probe::Match,
                Some(_) => Probe::NoMatch,
            },
            Some(_) => Probe::NoMatch,
        },
        Some(&S7PLUS_PROTOCOL_ID) => match p.get(1) {
            None => Probe::NeedMore,
            Some(1..=3 | 0xfe | 0xff) => Probe::Match,
            Some(_) => Probe::NoMatch,
        },
        None => Probe::NeedMore,
        Some(_) => Probe::NoMatch,
    }
}

/// Strict probe: a sequence of TPKT frames carrying COTP; matches at the first DT whose
/// payload starts with an S7comm header (0x32, known ROSCTR, reserved 0) or an
/// S7comm-plus header (0x72, known version). CR/CC alone ask for more (ISO transport is
/// shared with MMS and others on port 102); anything else is no match.
pub fn probe(_dir: Direction, b: &[u8]) -> Probe {
    let mut rest = b;
    loop {
        if rest.len() >= 4 && !plausible_tpkt(rest) {
            return Probe::NoMatch;
        }
        match parse_tpkt(rest) {
            Parsed::Invalid(_) => return Probe::NoMatch,
            Parsed::Incomplete(_) => {
                // Judge a partial DT on what is visible.
                if let Some(t) = rest.get(4..) {
                    if let [_, 0xf0, _, payload @ ..] = t {
                        if !payload.is_empty() {
                            return probe_payload(payload);
                        }
                    } else if t.len() >= 2 && t[0] < 2 {
                        return Probe::NoMatch;
                    }
                }
                return Probe::NeedMore;
            }
            Parsed::Ok(tpdu, n) => {
                match parse_cotp(tpdu) {
                    Err(_) => return Probe::NoMatch,
                    Ok(CotpPdu::Data { payload, .. }) => return probe_payload(payload),
                    Ok(CotpPdu::ConnectRequest(c) | CotpPdu::ConnectConfirm(c)) => {
                        if c.class & 0xf0 != 0 {
                            return Probe::NoMatch;
                        }
                    }
                    Ok(CotpPdu::Other(_)) => return Probe::NoMatch,
                }
                rest = &rest[n..];
                if rest.is_empty() {
                    return Probe::NeedMore;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // S7comm setup communication job, captured from a Snap7 server session
    // (icsnpp-s7comm s7ident.pcap, frame 8), annotated.
    const SETUP_JOB: [u8; 25] = [
        0x03, 0x00, 0x00, 0x19, // TPKT v3, length 25
        0x02, 0xf0, 0x80, // COTP DT, LI 2, EOT
        0x32, 0x01, // S7, ROSCTR job
        0x00, 0x00, // reserved
        0x00, 0x00, // pdu ref 0
        0x00, 0x08, // param length 8
        0x00, 0x00, // data length 0
        0xf0, 0x00, // setup communication, reserved
        0x00, 0x01, 0x00, 0x01, // max AmQ calling 1, called 1
        0x01, 0xe0, // PDU length 480
    ];

    #[test]
    fn parses_tpkt_cotp_s7() {
        let Parsed::Ok(tpdu, n) = parse_tpkt(&SETUP_JOB) else {
            panic!("tpkt");
        };
        assert_eq!(n, 25);
        let Ok(CotpPdu::Data {
            eot: true, payload, ..
        }) = parse_cotp(tpdu)
        else {
            panic!("cotp");
        };
        let s7 = parse_s7(payload).expect("s7");
        assert_eq!(s7.header.rosctr, Rosctr::JOB);
        assert_eq!(s7.param, &SETUP_JOB[17..]);
        assert_eq!(probe(Direction::ToServer, &SETUP_JOB), Probe::Match);
        assert_eq!(probe(Direction::ToServer, &SETUP_JOB[..6]), Probe::NeedMore);
        assert_eq!(
            probe(Direction::ToServer, b"\x03\x00\x00\x19\x02\xf0\x80\x01"),
            Probe::NoMatch
        );
    }

    #[test]
    fn parses_connect_request_tsaps() {
        let cr = [
            0x11, 0xe0, // LI 17, CR
            0x00, 0x00, 0x00, 0x01, 0x00, // dst ref, src ref 1, class 0
            0xc0, 0x01, 0x0a, // tpdu size 1024
            0xc1, 0x02, 0x01, 0x00, // calling TSAP 0x0100
            0xc2, 0x02, 0x01, 0x02, // called TSAP 0x0102 (rack 0 slot 2)
        ];
        let Ok(CotpPdu::ConnectRequest(c)) = parse_cotp(&cr) else {
            panic!("cr");
        };
        assert_eq!(c.dst_tsap, Some(&[0x01, 0x02][..]));
        assert_eq!(c.tpdu_size, Some(10));
        assert_eq!(parse_cotp(&cr[..10]), Err("s7comm_bad_cotp"));
    }

    #[test]
    fn parses_read_var_items_and_data() {
        // read_var: 1 item, S7ANY, BYTE, 4 elements, DB 1, area DB, address 0.
        let param = [
            0x04, 0x01, 0x12, 0x0a, 0x10, 0x02, 0x00, 0x04, 0x00, 0x01, 0x84, 0x00, 0x00, 0x00,
        ];
        let (items, cut) = parse_var_items(&param).expect("items");
        assert!(!cut);
        assert_eq!(
            items[0],
            VarItem {
                syntax_id: 0x10,
                transport_size: 2,
                length: 4,
                db: 1,
                area: 0x84,
                address: 0
            }
        );
        // Response data: success, BYTE (0x04, length in bits 32), 4 bytes.
        let data = [0xff, 0x04, 0x00, 0x20, 1, 2, 3, 4];
        let d = parse_data_items(&data, 1).expect("data");
        assert_eq!(d[0].data, &[1, 2, 3, 4]);
        assert!(parse_data_items(&data[..6], 1).is_err());
    }

    #[test]
    fn parses_s7plus_header() {
        let b = [
            0x72, 0x01, 0x00, 0x1d, // S7+ V1, data length 29
            0x31, 0x00, 0x00, 0x04, 0xca, 0x00, 0x00, 0x00,
            0x01, // request, create object, seq 1
            0x00, 0x00, 0x01, 0x20, // session id 0x120
        ];
        let p = parse_s7plus(&b).expect("s7+");
        assert_eq!(p.opcode, Some(0x31));
        assert_eq!(p.function, Some(0x04ca));
        assert_eq!(p.seq, Some(1));
        assert_eq!(p.session_id, Some(0x120));
        assert!(!p.integrity);
    }
}
